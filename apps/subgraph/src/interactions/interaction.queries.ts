import type { EntityManager } from '@mikro-orm/postgresql';
import type { CursorKey } from '../shared/pagination.js';
import { isoTimestamp, rowsByIds } from '../shared/sql.js';
import type { InteractionType } from './interaction.entity.js';

export interface InteractionRow {
  readonly id: string;
  readonly contactId: string;
  readonly type: InteractionType;
  readonly subject: string;
  readonly body: string | null;
  readonly occurredAt: string;
  readonly loggedBy: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export const INTERACTION_COLUMNS = `i.id, i.contact_id as "contactId", i.type, i.subject, i.body,
  ${isoTimestamp('i.occurred_at', 'occurredAt')}, i.logged_by as "loggedBy",
  ${isoTimestamp('i.created_at', 'createdAt')}, ${isoTimestamp('i.updated_at', 'updatedAt')}`;

/** Newest first, so the latest conversation with a contact leads. */
export const interactionCursor = (row: InteractionRow): CursorKey => [row.occurredAt, row.id];

export function findInteractionsByIds(em: EntityManager, ids: readonly string[]): Promise<InteractionRow[]> {
  return rowsByIds<InteractionRow>(
    em,
    `select ${INTERACTION_COLUMNS} from interaction i where i.id = any($1::uuid[])`,
    ids,
  );
}
