// Between two load processes of servers measured side by side (measurePair's beforeRound): what the previous one
// wrote is made the next one's starting point, not its burden. The audit writer's last batch is waited for, the
// tables written since the last time are vacuumed and analysed (dead tuples, visibility map, statistics), then a
// CHECKPOINT writes the dirty pages out, so that no round pays for its predecessor's autovacuum or checkpoint.
// Run as the superuser on the bench database (run.database.url); timed, and never inside a round.
import type pg from 'pg';
import { withClient } from './database.js';
import { sleep } from './loopback.js';

/**
 * The audit trail's tables (packages/audit: a read writes the batch, its events, their accesses, new subject sets
 * and pseudonyms, the chain's head, and an alert when a rule fires): every table named `audit_*`. Any other table
 * whose insert, update or delete counters moved since the last pass (pg_stat_user_tables: pg-boss's, say) is added.
 */
const AUDIT_TABLES = String.raw`audit\_%`;

/** How long to wait, at most, for the audit writer's last batch (it flushes every AUDIT_FLUSH_MS, 200 ms). */
const SETTLE_MAX_MS = 3_000;
/** The chain's head must stay the same this long to count as settled: more than one flush interval. */
const SETTLE_QUIET_MS = 300;

/** What one pass did and how long each step took (milliseconds). */
export interface Housekeeping {
  readonly settleMs: number;
  readonly vacuumMs: number;
  readonly checkpointMs: number;
  readonly totalMs: number;
  /** The tables vacuumed and analysed. */
  readonly tables: readonly string[];
}

/** Per table: inserts + updates + deletes so far. */
type Counters = ReadonlyMap<string, number>;

async function writeCounters(client: pg.Client): Promise<Counters> {
  const { rows } = await client.query<{ name: string; writes: string }>(
    `select quote_ident(schemaname) || '.' || quote_ident(relname) as name,
            (n_tup_ins + n_tup_upd + n_tup_del)::text as writes
       from pg_stat_user_tables`,
  );
  return new Map(rows.map((row) => [row.name, Number(row.writes)]));
}

/** Waits until the audit chain's head (audit_batch's last seq) stops moving, or SETTLE_MAX_MS. */
async function settleAudit(client: pg.Client): Promise<void> {
  const head = async () =>
    (
      await client.query<{ seq: string | null }>(
        "select case when to_regclass('public.audit_batch') is null then null else (select max(seq)::text from audit_batch) end as seq",
      )
    ).rows[0]?.seq ?? null;
  const deadline = Date.now() + SETTLE_MAX_MS;
  let last = await head();
  while (Date.now() < deadline) {
    await sleep(SETTLE_QUIET_MS);
    const now = await head();
    if (now === last) return;
    last = now;
  }
}

/**
 * A housekeeper for one database (its superuser URL): each `run()` settles the audit writer, vacuums and analyses
 * the audit tables and every table written since the previous `run()` (or since the housekeeper was made), then
 * checkpoints. The counters lag by up to a second (PostgreSQL flushes a backend's statistics at most once a
 * second), so a table first written in the last second of a round is caught by the next pass.
 */
export function housekeeper(url: string): { run(): Promise<Housekeeping> } {
  let previous: Counters | undefined;
  return {
    run: () =>
      withClient(url, async (client) => {
        const started = performance.now();
        await settleAudit(client);
        const settled = performance.now();
        const present = await client.query<{ name: string }>(
          `select quote_ident(schemaname) || '.' || quote_ident(relname) as name
             from pg_stat_user_tables where schemaname = 'public' and relname like $1`,
          [AUDIT_TABLES],
        );
        const counters = await writeCounters(client);
        const written = [...counters].filter(([name, writes]) => writes !== (previous?.get(name) ?? writes));
        const tables = [
          ...new Set([...present.rows.map((row) => row.name), ...written.map(([name]) => name)]),
        ];
        tables.sort();
        // One statement: VACUUM takes a list, and skips nothing it is given.
        if (tables.length > 0) await client.query(`vacuum (analyze) ${tables.join(', ')}`);
        const vacuumed = performance.now();
        await client.query('checkpoint');
        const done = performance.now();
        // After the vacuum: its own statistics' writes are not the next server's.
        previous = await writeCounters(client);
        const ms = (from: number, to: number) => Math.round(to - from);
        return {
          settleMs: ms(started, settled),
          vacuumMs: ms(settled, vacuumed),
          checkpointMs: ms(vacuumed, done),
          totalMs: ms(started, done),
          tables,
        };
      }),
  };
}

/** One pass as printed: `housekeeping 412 ms (audit settled 301, VACUUM ANALYZE of 5 tables 97, CHECKPOINT 14)`. */
export const formatHousekeeping = (pass: Housekeeping): string =>
  `housekeeping ${pass.totalMs} ms (audit settled ${pass.settleMs}, VACUUM ANALYZE of ${pass.tables.length} ` +
  `tables ${pass.vacuumMs}, CHECKPOINT ${pass.checkpointMs}; not part of any round)`;
