import { byIdLoader, type ChildPageKey, childPageLoader } from '@custos/database';
import { rowScope, visibleWhen } from '@custos/enforcement';
import type { Purpose } from '@custos/policy';
import type { Connection } from '@custos/runtime';
import type { EntityManager } from '@mikro-orm/postgresql';
import type DataLoader from 'dataloader';
import { type CompanyRow, findCompaniesByIds } from '../companies/company.queries.js';
import {
  type ContactRow,
  contactCursor,
  contactSelect,
  findContactsByIds,
} from '../contacts/contact.queries.js';
import {
  findInteractionsByIds,
  INTERACTION_FROM,
  type InteractionRow,
  interactionCursor,
  interactionSelect,
} from '../interactions/interaction.queries.js';

export interface Loaders {
  readonly contact: DataLoader<string, ContactRow | null>;
  readonly company: DataLoader<string, CompanyRow | null>;
  readonly interaction: DataLoader<string, InteractionRow | null>;
  readonly contactsOfCompany: DataLoader<ChildPageKey, Connection<ContactRow>, string>;
  readonly interactionsOfContact: DataLoader<ChildPageKey, Connection<InteractionRow>, string>;
}

/**
 * Fresh loaders per request, bound to the request's purpose: every statement they run carries the
 * purpose's row rule and reads only the columns the purpose may see. Nothing is cached across requests.
 */
export function createLoaders(em: EntityManager, purpose: Purpose): Loaders {
  return {
    contact: byIdLoader((ids) => findContactsByIds(em, purpose, ids)),
    company: byIdLoader((ids) => findCompaniesByIds(em, ids)),
    interaction: byIdLoader((ids) => findInteractionsByIds(em, purpose, ids)),
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
    interactionsOfContact: childPageLoader<InteractionRow>(em, {
      from: INTERACTION_FROM,
      scope: rowScope(purpose),
      columns: interactionSelect(purpose),
      parentColumn: 'i.contact_id',
      orderColumn: 'i.occurred_at',
      idColumn: 'i.id',
      cursorOf: interactionCursor,
    }),
  };
}

/** A mutation answers with the row as now stored, read like any other (the loader may hold the old one). */
export function reloaded<T>(loader: DataLoader<string, T | null>, id: string): Promise<T | null> {
  loader.clear(id);
  return loader.load(id);
}
