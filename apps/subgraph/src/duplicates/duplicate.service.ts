import { randomUUID } from 'node:crypto';
import { query } from '@custos/database';
import { rowScope, visibleWhen } from '@custos/enforcement';
import type { Purpose } from '@custos/policy';
import { ConflictError, isUuid, NotFoundError } from '@custos/runtime';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { DuplicateResolution } from './duplicate.entity.js';

/**
 * Email uniqueness without an existence oracle (DESIGN.md: "uniqueness errors … go through the same policy
 * as the fields themselves"). An email is taken for a writer only when the other contact is a row its purpose
 * may see *and* an email it may read there: then CONFLICT, which tells it nothing it could not query. A
 * collision with anyone else (a restricted or objecting person, an email the purpose may not read) is not
 * the writer's to know: the write goes ahead exactly as if the email were free, and the pair is queued for a
 * privacy officer. The answer therefore depends only on data the purpose may read.
 *
 * Runs inside the write's transaction. The advisory lock (per lower-cased email, released at commit)
 * serialises concurrent writers of one email, which the dropped unique index used to do.
 */
export async function claimEmail(
  tx: EntityManager,
  purpose: Purpose,
  email: string,
  self: string | null,
): Promise<string[]> {
  await query(tx, 'select pg_advisory_xact_lock(hashtextextended(lower($1), 7)) as locked', [email]);
  const others = await query<{ id: string; visible: boolean }>(
    tx,
    `select c.id, (${rowScope(purpose)}) and (${visibleWhen(purpose, 'Contact.email')}) as visible
     from contact c
     where lower(c.email) = lower($1) and c.erased_at is null and ($2::uuid is null or c.id <> $2::uuid)`,
    [email, self],
  );
  if (others.some((other) => other.visible)) {
    throw new ConflictError('email', 'is already used by another contact');
  }
  return others.map((other) => other.id);
}

/** Queues the contact just written against each hidden contact that has its email. */
export async function queueDuplicates(
  tx: EntityManager,
  purpose: Purpose,
  contact: string,
  existing: readonly string[],
  now: Date,
): Promise<void> {
  if (existing.length === 0) return;
  await query(
    tx,
    `insert into contact_duplicate (id, contact_id, existing_contact_id, detected_for_purpose, detected_at)
     select t.id, $2, t.existing, $3, $4 from unnest($1::uuid[], $5::uuid[]) as t(existing, id)
     on conflict (contact_id, existing_contact_id) do nothing`,
    [existing, contact, purpose, now, existing.map(() => randomUUID())],
  );
}

/** Closes an open review. A privacy officer decides; merging or erasing is done with the ordinary tools. */
export async function resolveDuplicate(
  em: EntityManager,
  id: string,
  resolution: DuplicateResolution,
  now: Date,
): Promise<string> {
  if (!isUuid(id)) throw new NotFoundError('ContactDuplicate');
  const [row] = await query<{ id: string; open: boolean }>(
    em,
    `with target as (select id, resolved_at is null as open from contact_duplicate where id = $1 for update),
     updated as (
       update contact_duplicate d set resolution = $2, resolved_at = $3
       from target where d.id = target.id and target.open returning d.id
     )
     select target.id, target.open from target`,
    [id, resolution, now],
  );
  if (!row) throw new NotFoundError('ContactDuplicate');
  if (!row.open) throw new ConflictError('id', 'this review is already resolved');
  return row.id;
}
