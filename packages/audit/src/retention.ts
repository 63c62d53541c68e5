import type { Config } from '@custos/runtime';
import pg from 'pg';
import { CHAIN_LOCK } from './writer.js';

/** The moment before which the audit log's retention removes batches. */
export function retentionCutoff(config: Config, now = new Date()): Date {
  return new Date(now.getTime() - config.audit.retentionDays * 86_400_000);
}

export interface PruneResult {
  readonly batches: number;
  readonly events: number;
  readonly alerts: number;
  /** Pseudonyms no remaining event uses any more (their contact link goes with them). */
  readonly subjects: number;
  /** The anchor left: the last batch removed, from which the rest of the chain verifies. */
  readonly anchorSeq: number | null;
}

const TABLES = ['audit_access', 'audit_event', 'audit_batch'] as const;

/**
 * The audit log's retention rule: removes, as the owner role, every whole batch older than `olderThan` from the
 * chain's oldest end (never one in the middle: the chain stays one piece), their events and accesses, alerts as
 * old, and pseudonyms nothing refers to any more; records an anchor (the last removed batch's sequence and hash)
 * so that what remains verifies as before. One transaction, serialised with the writers.
 */
export async function pruneAuditLog(ownerUrl: string, olderThan: Date): Promise<PruneResult> {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    await client.query('begin');
    await client.query('select pg_advisory_xact_lock($1)', [CHAIN_LOCK]);
    const cutoff = olderThan.toISOString();
    // The oldest run of batches made before the cutoff, up to the first one made after it.
    const { rows } = await client.query<{ seq: string | null; hash: string | null }>(
      `select b.seq, b.hash from audit_batch b
        where b.created_at < $1
          and not exists (select 1 from audit_batch n where n.seq < b.seq and n.created_at >= $1)
        order by b.seq desc limit 1`,
      [cutoff],
    );
    let batches = 0;
    let events = 0;
    const last = rows[0];
    if (last?.seq) {
      // The owner lifts its own append-only triggers for this transaction only (DDL is transactional).
      for (const table of TABLES)
        await client.query(`alter table ${table} disable trigger ${table}_no_update`);
      await client.query(
        'delete from audit_access a using audit_event e where a.event_id = e.id and e.batch_seq <= $1',
        [last.seq],
      );
      events =
        (await client.query('delete from audit_event where batch_seq <= $1', [last.seq])).rowCount ?? 0;
      batches = (await client.query('delete from audit_batch where seq <= $1', [last.seq])).rowCount ?? 0;
      for (const table of TABLES)
        await client.query(`alter table ${table} enable trigger ${table}_no_update`);
      await client.query(
        `insert into audit_anchor (seq, hash, pruned_at, older_than, batches, events) values ($1, $2, now(), $3, $4, $5)`,
        [last.seq, last.hash, cutoff, batches, events],
      );
    }
    await client.query(
      `delete from audit_subject_set t where t.created_at < $1
         and not exists (select 1 from audit_access a where a.subject_set = t.digest)`,
      [cutoff],
    );
    const alerts =
      (await client.query('delete from audit_alert where fired_at < $1', [cutoff])).rowCount ?? 0;
    const subjects =
      (
        await client.query(
          `delete from audit_subject s where s.created_at < $1
             and not exists (select 1 from audit_access a where a.subjects @> array[s.pseudonym])
             and not exists (select 1 from audit_subject_set t where t.subjects @> array[s.pseudonym])`,
          [cutoff],
        )
      ).rowCount ?? 0;
    await client.query('commit');
    return { batches, events, alerts, subjects, anchorSeq: last?.seq ? Number(last.seq) : null };
  } catch (error) {
    await client.query('rollback').catch(() => {});
    throw error;
  } finally {
    await client.end();
  }
}
