import { contactRelationDocuments, contactRelationResource } from './relations';

/** A contact's interactions (calls, emails, meetings, notes), newest first: `Contact.interactions` (Custos). */
export const CONTACT_INTERACTIONS = contactRelationDocuments(
  'ConsoleContactInteractions',
  'interactions',
  'id type subject occurredAt loggedBy',
);

/** `interactions`: a contact's interactions (getManyReference by contactId), in cursor pages. */
export const interactionsResource = contactRelationResource(
  'interactions',
  'interactions',
  CONTACT_INTERACTIONS,
);
