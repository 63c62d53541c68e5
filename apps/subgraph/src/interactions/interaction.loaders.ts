import { byIdLoader, type ChildPageKey, childPageLoader, type SqlSession } from '@custos/database';
import { rowScope } from '@custos/enforcement';
import type { Purpose } from '@custos/policy';
import type { Connection } from '@custos/runtime';
import type DataLoader from 'dataloader';
import {
  findInteractionsByIds,
  INTERACTION_FROM,
  type InteractionRow,
  interactionCursor,
  interactionSelect,
} from './interaction.queries.js';

export interface InteractionLoaders {
  readonly interaction: DataLoader<string, InteractionRow | null>;
  readonly interactionsOfContact: DataLoader<ChildPageKey, Connection<InteractionRow>, string>;
}

/** A request's interaction loaders, bound to its purpose: the contact's row rule is in every statement. */
export function createInteractionLoaders(em: SqlSession, purpose: Purpose): InteractionLoaders {
  return {
    interaction: byIdLoader((ids) => findInteractionsByIds(em, purpose, ids)),
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
