import { isoTimestamp, limitRows, Params, query, rowsByIds, type SqlSession } from '@custos/database';
import { type RowPrivacyState, rowScope, visibleExpression } from '@custos/enforcement';
import type { PersonalField, Purpose } from '@custos/policy';
import { type Connection, decodeTimeCursor, pageSize, toConnection, ValidationError } from '@custos/runtime';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { TICKET_PRIORITIES, TICKET_STATUSES } from '../db/ticket.entity.js';

/**
 * The read model of a ticket. The requester's `restricted` and `limitSensitive` come along because the
 * policy decides a ticket's personal fields by the state of the person it is about.
 */
export interface TicketRow extends RowPrivacyState {
  readonly id: string;
  readonly requesterId: string;
  readonly subject?: string | null;
  readonly description?: string | null;
  readonly status?: (typeof TICKET_STATUSES)[number] | null;
  readonly priority?: (typeof TICKET_PRIORITIES)[number] | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly solvedAt: string | null;
}

/**
 * The contacts as the tickets subgraph sees them: id and privacy state only (the view of migration
 * ContactPrivacyView; its database role cannot read `public.contact`).
 */
export const CONTACT_PRIVACY = 'tickets.contact_privacy';

/**
 * Every read joins the requester's privacy state and applies Custos' row rule for the purpose in the same
 * statement: a ticket about a person the purpose may not see (restricted, erased, objected, no consent) does
 * not exist for the caller — the caller's word is never taken for it.
 */
export const TICKET_FROM = `tickets.ticket t join ${CONTACT_PRIVACY} c on c.id = t.requester_id`;

const PERSONAL: readonly (readonly [keyof TicketRow, PersonalField, string])[] = [
  ['subject', 'Ticket.subject', 't.subject'],
  ['description', 'Ticket.description', 't.description'],
  ['status', 'Ticket.status', 't.status'],
  ['priority', 'Ticket.priority', 't.priority'],
];

const selects = new Map<Purpose, string>();

/** The select list for a purpose: personal columns it never sees are not read; state-dependent ones are nulled. */
export function ticketSelect(purpose: Purpose): string {
  let select = selects.get(purpose);
  if (select === undefined) {
    const list = [
      't.id',
      't.requester_id as "requesterId"',
      'c.restricted',
      'c.limit_sensitive as "limitSensitive"',
      isoTimestamp('t.created_at', 'createdAt'),
      isoTimestamp('t.updated_at', 'updatedAt'),
      // to_char of null is null: an unsolved ticket has no solvedAt.
      isoTimestamp('t.solved_at', 'solvedAt'),
    ];
    for (const [property, field, column] of PERSONAL) {
      const expression = visibleExpression(purpose, field, column);
      if (expression) list.push(`${expression} as "${property}"`);
    }
    select = list.join(', ');
    selects.set(purpose, select);
  }
  return select;
}

export const ticketCursor = (row: TicketRow) => [row.createdAt, row.id] as const;

export function findTicketsByIds(em: SqlSession, purpose: Purpose, ids: readonly string[]) {
  return rowsByIds<TicketRow>(
    em,
    `select ${ticketSelect(purpose)} from ${TICKET_FROM} where t.id = any($1::uuid[]) and ${rowScope(purpose)}`,
    ids,
  );
}

/** A Contact reference as this subgraph resolves it: the id and the state that decides `tickets`. */
export interface VisibleContact extends RowPrivacyState {
  readonly id: string;
}

/** Contacts (by id) that exist for the purpose: the tickets subgraph's answer to a Contact reference. */
export function findVisibleContacts(em: SqlSession, purpose: Purpose, ids: readonly string[]) {
  return rowsByIds<VisibleContact>(
    em,
    `select c.id, c.restricted, c.limit_sensitive as "limitSensitive" from ${CONTACT_PRIVACY} c
     where c.id = any($1::uuid[]) and ${rowScope(purpose)}`,
    ids,
  );
}

/**
 * Tickets newest first, optionally of one status. A ticket's status is personal data of its requester: the filter
 * is refused to a purpose that never sees it, and matches only tickets whose status the purpose may see.
 */
export async function listTickets(
  em: EntityManager,
  purpose: Purpose,
  args: { first?: number | null; after?: string | null; status?: TicketRow['status'] | null },
): Promise<Connection<TicketRow>> {
  const size = pageSize('first', args.first);
  const after = decodeTimeCursor('after', args.after);
  const params = new Params();
  const where = [rowScope(purpose)];
  if (args.status) {
    const status = visibleExpression(purpose, 'Ticket.status', 't.status');
    if (!status) {
      throw new ValidationError([
        {
          field: 'status',
          rule: 'purpose',
          message: `is not available for purpose ${purpose}: it filters on data the purpose may not read`,
        },
      ]);
    }
    where.push(`${status} = ${params.add(args.status)}`);
  }
  const countWhere = [...where];
  const countValues = [...params.values];
  if (after) where.push(`(t.created_at, t.id) < (${params.add(after[0])}, ${params.add(after[1])})`);
  const rows =
    size === 0
      ? []
      : await query<TicketRow>(
          em,
          `select ${ticketSelect(purpose)} from ${TICKET_FROM} where ${where.join(' and ')}
           order by t.created_at desc, t.id desc ${limitRows(size + 1)}`,
          params.values,
          // A status is a filter on unevenly spread values: planned at every run (QueryOptions).
          { prepare: !args.status },
        );
  return toConnection(rows, size, Boolean(after), ticketCursor, async () => {
    const [row] = await query<{ n: number }>(
      em,
      `select count(*)::int as n from ${TICKET_FROM} where ${countWhere.join(' and ')}`,
      countValues,
      { prepare: !args.status },
    );
    return row?.n ?? 0;
  });
}
