import type { EntityManager } from '@mikro-orm/postgresql';
import type DataLoader from 'dataloader';
import { type CompanyRow, findCompaniesByIds } from '../companies/company.queries.js';
import {
  CONTACT_COLUMNS,
  type ContactRow,
  contactCursor,
  findContactsByIds,
} from '../contacts/contact.queries.js';
import {
  findInteractionsByIds,
  INTERACTION_COLUMNS,
  type InteractionRow,
  interactionCursor,
} from '../interactions/interaction.queries.js';
import { byIdLoader, type ChildPageKey, childPageLoader } from '../shared/batch.js';
import type { Connection } from '../shared/pagination.js';

export interface Loaders {
  readonly contact: DataLoader<string, ContactRow | null>;
  readonly company: DataLoader<string, CompanyRow | null>;
  readonly interaction: DataLoader<string, InteractionRow | null>;
  readonly contactsOfCompany: DataLoader<ChildPageKey, Connection<ContactRow>, string>;
  readonly interactionsOfContact: DataLoader<ChildPageKey, Connection<InteractionRow>, string>;
}

/** Fresh loaders per request: nothing is cached across requests or callers. */
export function createLoaders(em: EntityManager): Loaders {
  return {
    contact: byIdLoader((ids) => findContactsByIds(em, ids)),
    company: byIdLoader((ids) => findCompaniesByIds(em, ids)),
    interaction: byIdLoader((ids) => findInteractionsByIds(em, ids)),
    contactsOfCompany: childPageLoader<ContactRow>(em, {
      from: 'contact c',
      columns: CONTACT_COLUMNS,
      parentColumn: 'c.company_id',
      orderColumn: 'c.created_at',
      idColumn: 'c.id',
      cursorOf: contactCursor,
    }),
    interactionsOfContact: childPageLoader<InteractionRow>(em, {
      from: 'interaction i',
      columns: INTERACTION_COLUMNS,
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
