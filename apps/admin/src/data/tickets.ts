import { contactRelationDocuments, contactRelationResource } from './relations';

/**
 * A contact's support tickets, newest first: `Contact.ticketConnection`, served by the tickets subgraph and joined
 * to the contact by the gateway.
 */
export const CONTACT_TICKETS = contactRelationDocuments(
  'ConsoleContactTickets',
  'ticketConnection',
  'id subject status priority createdAt solvedAt',
);

/** `tickets`: a contact's support tickets (getManyReference by contactId), in cursor pages. */
export const ticketsResource = contactRelationResource('tickets', 'ticketConnection', CONTACT_TICKETS);
