import { decodeTimeCursor, pageSize } from '@custos/runtime';
import { TICKET_PRIORITIES, TICKET_STATUSES } from '../db/ticket.entity.js';
import { builder, connectionType } from '../schema/builder.js';
import { listTickets, type TicketRow, type VisibleContact } from './ticket.queries.js';

const TicketStatus = builder.enumType('TicketStatus', { values: TICKET_STATUSES });
const TicketPriority = builder.enumType('TicketPriority', { values: TICKET_PRIORITIES });

/** Custos' Contact, keyed by id: this subgraph contributes `tickets`. */
const ContactRef = builder.objectRef<VisibleContact>('Contact');
const TicketRef = builder.objectRef<TicketRow>('Ticket');

// A list's page: the privacy plugin seals its cursors for the field returning it and audits the rows they name.
const TicketConnection = connectionType('Ticket', TicketRef);

TicketRef.implement({
  extensions: { auditSubject: (row: TicketRow) => row.requesterId },
  description: 'A support ticket raised by (or for) a contact. Its text is personal data of the requester.',
  fields: (t) => ({
    id: t.exposeID('id'),
    subject: t.exposeString('subject', { nullable: true }),
    description: t.exposeString('description', { nullable: true }),
    // How the requester's case stands is personal data of the requester (user.behavior.support).
    status: t.expose('status', { type: TicketStatus, nullable: true }),
    priority: t.expose('priority', { type: TicketPriority, nullable: true }),
    requester: t.field({
      type: ContactRef,
      nullable: true,
      description: 'The contact the ticket is about (a reference to Custos).',
      // The requester's state comes with the ticket's row: it decides the requester's `tickets` here too.
      resolve: (ticket) => ({
        id: ticket.requesterId,
        restricted: ticket.restricted,
        limitSensitive: ticket.limitSensitive,
      }),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    solvedAt: t.expose('solvedAt', { type: 'DateTime', nullable: true }),
  }),
});

ContactRef.implement({
  // That a person has tickets is theirs: the contact's own state decides it, like its Custos fields. A reference
  // this subgraph resolves (`_entities`, a ticket's requester) reaches the contact it names.
  extensions: { auditSubject: (contact: VisibleContact) => contact.id },
  fields: (t) => ({
    id: t.exposeID('id'),
    tickets: t.field({
      type: [TicketRef],
      nullable: true,
      description:
        'The newest `first` support tickets of this contact (at most 500); `ticketConnection` pages.',
      args: { first: t.arg.int({ defaultValue: 20 }) },
      resolve: async (contact, args, ctx) => {
        const page = await ctx.loaders.ticketsOfContact.load({
          parentId: contact.id,
          first: pageSize('first', args.first),
          after: undefined,
        });
        return page.nodes;
      },
    }),
    ticketConnection: t.field({
      type: TicketConnection,
      nullable: true,
      description:
        'Support tickets of this contact, newest first, as a Relay connection. `first` is at most 500.',
      args: { first: t.arg.int({ defaultValue: 20 }), after: t.arg.string() },
      resolve: (contact, args, ctx) =>
        ctx.loaders.ticketsOfContact.load({
          parentId: contact.id,
          first: pageSize('first', args.first),
          after: decodeTimeCursor('after', args.after),
        }),
    }),
  }),
});

builder.asEntity(ContactRef, {
  key: builder.selection<{ id: string }>('id'),
  // A contact the purpose may not see resolves to null, exactly like an id that does not exist.
  resolveReference: (ref, ctx) => ctx.loaders.contact.load(ref.id),
});

builder.queryFields((t) => ({
  ticket: t.field({
    type: TicketRef,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => ctx.loaders.ticket.load(String(args.id)),
  }),
  tickets: t.field({
    type: TicketConnection,
    description: 'Tickets newest first, of contacts the purpose may see. `first` is at most 500.',
    args: {
      first: t.arg.int({ defaultValue: 50 }),
      after: t.arg.string(),
      status: t.arg({ type: TicketStatus }),
    },
    resolve: (_root, args, ctx) => listTickets(ctx.em, ctx.principal.purpose, args),
  }),
}));
