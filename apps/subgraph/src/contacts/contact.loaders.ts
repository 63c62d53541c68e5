import { byIdLoader, type ChildPageKey, childPageLoader, type SqlSession } from '@custos/database';
import { rowScope, visibleWhen } from '@custos/enforcement';
import type { Purpose } from '@custos/policy';
import type { Connection } from '@custos/runtime';
import type DataLoader from 'dataloader';
import { type ContactRow, contactCursor, contactSelect, findContactsByIds } from './contact.queries.js';

export interface ContactLoaders {
  readonly contact: DataLoader<string, ContactRow | null>;
  readonly contactsOfCompany: DataLoader<ChildPageKey, Connection<ContactRow>, string>;
}

/** A request's contact loaders, bound to its purpose: each statement carries the purpose's row rule and columns. */
export function createContactLoaders(em: SqlSession, purpose: Purpose): ContactLoaders {
  return {
    contact: byIdLoader((ids) => findContactsByIds(em, purpose, ids)),
    contactsOfCompany: childPageLoader<ContactRow>(em, {
      from: 'contact c',
      // Company.contacts states the same fact as Contact.company: only where the contact's state shows it.
      scope: `${rowScope(purpose)} and (${visibleWhen(purpose, 'Contact.company')})`,
      columns: contactSelect(purpose),
      parentColumn: 'c.company_id',
      orderColumn: 'c.created_at',
      idColumn: 'c.id',
      cursorOf: contactCursor,
    }),
  };
}
