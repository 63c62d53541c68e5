import { byIdLoader, type ChildPageKey, childPageLoader, type SqlSession } from '@custos/database';
import { rowScope } from '@custos/enforcement';
import type { Purpose } from '@custos/policy';
import type { Connection } from '@custos/runtime';
import type DataLoader from 'dataloader';
import {
  findTicketsByIds,
  findVisibleContacts,
  TICKET_FROM,
  type TicketRow,
  ticketCursor,
  ticketSelect,
  type VisibleContact,
} from './ticket.queries.js';

export interface TicketLoaders {
  readonly ticket: DataLoader<string, TicketRow | null>;
  /** A Contact reference resolves only when the purpose may see the contact (else null, like a missing id). */
  readonly contact: DataLoader<string, VisibleContact | null>;
  readonly ticketsOfContact: DataLoader<ChildPageKey, Connection<TicketRow>, string>;
}

/** Fresh loaders per request, bound to its purpose: every statement carries the purpose's row rule. */
export function createTicketLoaders(em: SqlSession, purpose: Purpose): TicketLoaders {
  return {
    ticket: byIdLoader((ids) => findTicketsByIds(em, purpose, ids)),
    contact: byIdLoader((ids) => findVisibleContacts(em, purpose, ids)),
    ticketsOfContact: childPageLoader<TicketRow>(em, {
      from: TICKET_FROM,
      scope: rowScope(purpose),
      columns: ticketSelect(purpose),
      parentColumn: 't.requester_id',
      orderColumn: 't.created_at',
      idColumn: 't.id',
      cursorOf: ticketCursor,
    }),
  };
}
