import { defineEntity, p } from '@mikro-orm/core';

export const TICKET_STATUSES = ['OPEN', 'PENDING', 'SOLVED', 'CLOSED'] as const;
export const TICKET_PRIORITIES = ['LOW', 'NORMAL', 'HIGH', 'URGENT'] as const;

/**
 * A support ticket. It lives in its own PostgreSQL schema (`tickets`) of the database Custos uses, and names
 * its requester by the Contact key only: the contact, its state and its consents stay Custos' data, read in
 * the same statement through Custos' row rule (see ticket.queries.ts).
 */
export const TicketSchema = defineEntity({
  name: 'Ticket',
  tableName: 'ticket',
  schema: 'tickets',
  // Mirrors the committed migrations; a test fails when the two drift apart.
  indexes: [
    { name: 'ticket_requester_created_at_id_idx', properties: ['requesterId', 'createdAt', 'id'] },
    { name: 'ticket_created_at_id_idx', properties: ['createdAt', 'id'] },
  ],
  properties: {
    id: p.uuid().primary(),
    requesterId: p.uuid(),
    subject: p.string().length(200),
    description: p.string().length(10_000).nullable(),
    status: p.enum(TICKET_STATUSES).columnType('varchar(16)'),
    priority: p.enum(TICKET_PRIORITIES).columnType('varchar(16)'),
    createdAt: p.datetime(3),
    updatedAt: p.datetime(3),
    solvedAt: p.datetime(3).nullable(),
  },
});

export class Ticket extends TicketSchema.class {}
TicketSchema.setClass(Ticket);
