import { isoTimestamp, rowsByIds, type SqlSession } from '@custos/database';
import { rowScope, visibleExpression } from '@custos/enforcement';
import type { Purpose } from '@custos/policy';
import type { CursorKey } from '@custos/runtime';
import type { InteractionType } from './interaction.entity.js';

/**
 * An interaction as the resolvers see it. It belongs to its contact: it is seen only on a contact row the
 * purpose may see, and its free text (personal data) follows the contact's state like the contact's fields.
 */
export interface InteractionRow {
  readonly id: string;
  readonly contactId: string;
  readonly type: InteractionType;
  readonly subject?: string | null;
  readonly body?: string | null;
  readonly occurredAt: string;
  readonly loggedBy: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** The contact's state, which decides the interaction's personal fields. */
  readonly restricted: boolean;
  readonly limitSensitive: boolean;
}

/** Interactions joined to their contact, whose row rule scopes them. */
export const INTERACTION_FROM = 'interaction i join contact c on c.id = i.contact_id';

const selects = new Map<Purpose, string>();

export function interactionSelect(purpose: Purpose): string {
  let select = selects.get(purpose);
  if (select === undefined) {
    select = buildSelect(purpose);
    selects.set(purpose, select);
  }
  return select;
}

function buildSelect(purpose: Purpose): string {
  const list = [
    'i.id',
    'i.contact_id as "contactId"',
    'i.type',
    isoTimestamp('i.occurred_at', 'occurredAt'),
    'i.logged_by as "loggedBy"',
    isoTimestamp('i.created_at', 'createdAt'),
    isoTimestamp('i.updated_at', 'updatedAt'),
    'c.restricted',
    'c.limit_sensitive as "limitSensitive"',
  ];
  const subject = visibleExpression(purpose, 'Interaction.subject', 'i.subject');
  const body = visibleExpression(purpose, 'Interaction.body', 'i.body');
  if (subject) list.push(`${subject} as "subject"`);
  if (body) list.push(`${body} as "body"`);
  return list.join(', ');
}

/** Newest first, so the latest conversation with a contact leads. */
export const interactionCursor = (row: InteractionRow): CursorKey => [row.occurredAt, row.id];

export function findInteractionsByIds(
  em: SqlSession,
  purpose: Purpose,
  ids: readonly string[],
): Promise<InteractionRow[]> {
  return rowsByIds<InteractionRow>(
    em,
    `select ${interactionSelect(purpose)} from ${INTERACTION_FROM} where i.id = any($1::uuid[]) and ${rowScope(purpose)}`,
    ids,
  );
}
