import { type Connection, type CursorKey, isUuid, toConnection, ValidationError } from '@custos/runtime';
import type { PgBoss } from 'pg-boss';
import { JOBS_SCHEMA } from './grants.js';

/**
 * A job that failed its last retry, as compliance sees it: which queue, how many attempts, the class of the last
 * error — never the error's message (it may carry data), nor the payload.
 */
export interface DeadLetter {
  /** The dead letter's id: what `redrive` takes. */
  readonly id: string;
  /** The queue the job failed on. */
  readonly queue: string;
  /** The id the job had there (the one `send` returned, or a re-drive's). */
  readonly jobId: string | null;
  /** Attempts made: the first run and every retry. */
  readonly attempts: number;
  /**
   * The last error's class name (`TypeError`, `SmtpError`…), or `JobExpired` (it ran past its expiry),
   * `HeartbeatLost` (its process died), `Shutdown` (its process stopped before it finished); null if unknown.
   */
  readonly errorName: string | null;
  /** When it was dead-lettered (ISO 8601 with microseconds: the list's sort key). */
  readonly deadLetteredAt: string;
  /** When the job was first sent. */
  readonly sentAt: string | null;
}

const NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
/** A sort key as this list writes it: microseconds, so that no two keys of one list collide by rounding. */
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const iso = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** Dead letters wait in their queue's dead-letter queue, never worked: `created` until re-driven or expired. */
const WHERE = `name = any($1::text[]) and state < 'active'`;

/**
 * The error's class name from the failed job's output: pg-boss stores what the handler threw (handlers throw only
 * a name: queue.ts), or an error or a text of its own, in fixed words, for an expiry (in the worker, or found by a
 * supervisor), a lost heartbeat or a shutdown.
 */
const ERROR_NAME = `case
    when source_output ->> 'message' like 'handler execution exceeded %' then 'JobExpired'
    when source_output ->> 'message' like 'pg-boss shut down %' then 'Shutdown'
    when jsonb_typeof(source_output -> 'name') = 'string' then source_output ->> 'name'
    when source_output #>> '{value,message}' = 'job timed out' then 'JobExpired'
    when source_output #>> '{value,message}' = 'job heartbeat timeout' then 'HeartbeatLost'
    when source_output ->> 'value' like 'pg-boss shut down %' then 'Shutdown'
  end`;

interface Row {
  id: string;
  queue: string;
  jobId: string | null;
  attempts: number;
  errorName: string | null;
  deadLetteredAt: string;
  sentAt: string | null;
}

/** Newest first, `first` at a time after the sort key `after` (`[deadLetteredAt, id]`). */
export async function listDeadLetters(
  boss: PgBoss,
  deadLetterQueues: readonly string[],
  first: number,
  after: CursorKey | undefined,
): Promise<Connection<DeadLetter>> {
  if (after && !(TIMESTAMP.test(after[0]) && isUuid(after[1]))) {
    throw new ValidationError([
      { field: 'after', rule: 'cursor', message: 'is not a cursor this API issued' },
    ]);
  }
  const db = boss.getDb();
  const { rows } = await db.executeSql(
    `select id, source_name as queue, source_id as "jobId", coalesce(source_retry_count, 0) + 1 as attempts,
            ${ERROR_NAME} as "errorName", ${iso('created_on')} as "deadLetteredAt",
            ${iso('source_created_on')} as "sentAt"
       from ${JOBS_SCHEMA}.job
      where ${WHERE} and ($2::timestamptz is null or (created_on, id) < ($2::timestamptz, $3::uuid))
      order by created_on desc, id desc
      limit $4`,
    [deadLetterQueues, after?.[0] ?? null, after?.[1] ?? null, first + 1],
  );
  const letters = (rows as Row[]).map(
    (row): DeadLetter => ({
      ...row,
      attempts: Number(row.attempts),
      errorName: row.errorName !== null && NAME.test(row.errorName) ? row.errorName : null,
    }),
  );
  return toConnection(
    letters,
    first,
    after !== undefined,
    (letter) => [letter.deadLetteredAt, letter.id],
    async () => {
      const counted = await db.executeSql(
        `select count(*)::int as count from ${JOBS_SCHEMA}.job where ${WHERE}`,
        [deadLetterQueues],
      );
      return Number((counted.rows[0] as { count: number }).count);
    },
  );
}

/** The dead-letter queue that holds dead letter `id`, if one of `deadLetterQueues` does. */
export async function deadLetterQueueOf(
  boss: PgBoss,
  deadLetterQueues: readonly string[],
  id: string,
): Promise<string | undefined> {
  if (!isUuid(id)) return undefined;
  const { rows } = await boss
    .getDb()
    .executeSql(`select name from ${JOBS_SCHEMA}.job where ${WHERE} and id = $2::uuid`, [
      deadLetterQueues,
      id,
    ]);
  return (rows[0] as { name: string } | undefined)?.name;
}
