import { performance } from 'node:perf_hooks';
import { type Connection, type CursorKey, type Logger, pageSize } from '@custos/runtime';
import type { JobResult, JobWithMetadata, PgBoss } from 'pg-boss';
import { applicationBoss, errorName } from './boss.js';
import type { JobsConfig } from './config.js';
import { type DeadLetter, deadLetterQueueOf, listDeadLetters } from './dead-letters.js';
import { checkPayload, type JobPayload } from './payload.js';
import { checkQueueNames, deadLetterQueue, type PayloadOf, type QueueMap } from './queues.js';

/**
 * Runs statements in the caller's transaction (pg-boss' `db` option): a job sent through it exists if and only if
 * that transaction commits. `clientDb(client)` makes one of a pg client inside `begin`; over an EntityManager,
 * `{ executeSql: async (text, values) => ({ rows: await query(em, text, values) }) }` (@custos/database).
 */
export interface JobsDb {
  executeSql(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
}

/** A pg client (or pool client) as a JobsDb: statements run on it, in whatever transaction it is in. */
export function clientDb(client: {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
}): JobsDb {
  return { executeSql: async (text, values) => ({ rows: (await client.query(text, values)).rows }) };
}

export interface SendOptions {
  /** The caller's transaction: the job exists iff it commits. */
  readonly db?: JobsDb;
  /** Not to run before this time. */
  readonly startAfter?: Date;
}

export interface JobContext {
  readonly id: string;
  readonly queue: string;
  /** 1 for the first run, 2 for the first retry, … */
  readonly attempt: number;
  /** Aborted when the job runs past its expiry, or the queue stops before it finished. */
  readonly signal: AbortSignal;
}

/**
 * Does a job's work. It must be idempotent — run twice, it leaves the same result — since a job is retried after
 * a failure, an expiry, a lost heartbeat or a stop, possibly after it did part or all of its work. It throws to
 * fail the attempt: only the error's class name is kept (queue.ts `JobFailed`), never its message. It throws a
 * `PermanentJobError` to give up now: the job goes straight to its dead letters, without the remaining retries.
 */
export type JobHandler<P extends JobPayload> = (payload: P, job: JobContext) => Promise<void>;

export interface JobQueue<Q extends QueueMap> {
  /** JOBS_WORKERS: whether `work` starts running handlers in this instance. */
  readonly workers: boolean;
  /** Enqueues a job: the payload is checked first (ids and triggers only: JobPayloadError). Its id. */
  send<K extends keyof Q & string>(
    queue: K,
    payload: PayloadOf<Q[K]>,
    options?: SendOptions,
  ): Promise<string>;
  /** Runs `handler` for the queue's jobs in this instance (one handler a queue; none run when JOBS_WORKERS=0). */
  work<K extends keyof Q & string>(queue: K, handler: JobHandler<PayloadOf<Q[K]>>): Promise<void>;
  /**
   * Stops this instance's workers, after the jobs they are running finished; jobs wait in their queues. For
   * tests that look at what happens before any job runs, and for an operator's pause.
   */
  pauseWorkers(): Promise<void>;
  /** Starts the workers of every queue `work` was given a handler for (also when JOBS_WORKERS=0 held them). */
  resumeWorkers(): Promise<void>;
  /** Dead letters of every queue (or one), newest first; `after` is a page's last sort key. */
  deadLetters(options?: {
    readonly first?: number;
    readonly after?: CursorKey;
    readonly queue?: keyof Q & string;
  }): Promise<Connection<DeadLetter>>;
  /** Sends a dead letter back to its queue as a new job (retries afresh); false when no such dead letter. */
  redrive(id: string): Promise<boolean>;
  /**
   * Stops fetching, lets running jobs finish within JOBS_STOP_TIMEOUT_MS, then releases the rest (failed, so
   * retried later by any instance), and closes the queue's connections.
   */
  stop(): Promise<void>;
}

const PERMANENT = Symbol.for('custos.jobs.PermanentJobError');

/**
 * Thrown by a handler when retrying cannot help (an SMTP server refused the recipient with a 5xx, the job's row
 * no longer validates): the attempt fails and the job moves to its queue's dead letters at once, without the
 * remaining retries. `name` is what the dead letter shows as its `errorName` (a code or class name: `EENVELOPE`,
 * `ValidationError`; anything else becomes `PermanentJobError`) — never a message, which may carry data.
 */
export class PermanentJobError extends Error {
  readonly [PERMANENT] = true;
  constructor(name: string) {
    super('the job cannot succeed: not retried');
    this.name = /^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(name) ? name : 'PermanentJobError';
  }

  /** True for a PermanentJobError, also one of another copy of this package. */
  static is(error: unknown): error is PermanentJobError {
    return (
      typeof error === 'object' && error !== null && (error as { [PERMANENT]?: unknown })[PERMANENT] === true
    );
  }
}

/**
 * What a failed attempt leaves in pg-boss' tables: the error's class name alone. pg-boss stores what a handler
 * throws (name, message, stack) as the job's output, and a message may carry data (a library quoting an address).
 */
class JobFailed extends Error {
  constructor(name: string) {
    super('the job handler failed');
    this.name = name;
    this.stack = name;
  }
}

/**
 * The job queue of one service instance (pg-boss as the application role; prepareJobs has made the schema and the
 * queues). Several instances are safe: pg-boss fetches with SELECT … FOR UPDATE SKIP LOCKED, so a job runs in one
 * worker at a time, and claims supervision passes.
 */
export async function createJobQueue<Q extends QueueMap>(options: {
  /** The application role (DATABASE_URL). */
  readonly url: string;
  readonly queues: Q;
  readonly config: JobsConfig;
  readonly logger: Logger;
  /** This instance's name in pg-boss' registry (the service's). */
  readonly name?: string;
}): Promise<JobQueue<Q>> {
  const { queues, config, logger } = options;
  const names = checkQueueNames(queues);
  const boss: PgBoss = applicationBoss(options.url, config, logger, options.name ?? 'custos');
  await boss.start();
  const known = (queue: string) => {
    if (!names.includes(queue)) throw new Error(`no queue ${JSON.stringify(queue)} is defined`);
  };

  /**
   * Runs one job and says how pg-boss is to settle it (the worker's `perJobResults`): `completed`, or for a
   * PermanentJobError `deadletter` — pg-boss fails the job and inserts its dead letter in one statement, without
   * the remaining retries. Any other error is thrown: pg-boss fails the attempt, and retries or dead-letters it.
   * Either failure stores the same JobFailed (the name alone), which the dead letters read their errorName from.
   */
  async function run<P extends JobPayload>(
    handler: JobHandler<P>,
    job: JobWithMetadata<P>,
  ): Promise<JobResult> {
    const started = performance.now();
    const attempt = job.retryCount + 1;
    const fields = { jobId: job.id, queue: job.name, attempt };
    const durationMs = () => Math.round(performance.now() - started);
    try {
      await handler(job.data, { id: job.id, queue: job.name, attempt, signal: job.signal });
    } catch (error) {
      const name = errorName(error);
      const permanent = PermanentJobError.is(error);
      const outcome = job.signal.aborted
        ? 'released'
        : permanent || job.retryCount >= job.retryLimit
          ? 'dead-lettered'
          : 'retry';
      logger.warn(
        { ...fields, outcome, error: name, ...(permanent ? { permanent } : {}), durationMs: durationMs() },
        'job failed',
      );
      // A released job was failed by pg-boss already (expiry, stop): any settlement of it finds nothing to do.
      if (permanent && !job.signal.aborted) {
        return { id: job.id, status: 'deadletter', output: new JobFailed(name) };
      }
      throw new JobFailed(name);
    }
    const outcome = job.signal.aborted ? 'released' : 'completed';
    logger.info({ ...fields, outcome, durationMs: durationMs() }, `job ${outcome}`);
    return { id: job.id, status: 'completed' };
  }

  const handlers = new Map<string, JobHandler<JobPayload>>();
  let running = config.workers;
  const workOptions = {
    batchSize: 1,
    localConcurrency: 1,
    pollingIntervalSeconds: config.pollMs / 1000,
    includeMetadata: true,
    // Each job settled as `run` says: completed, or dead-lettered at once (PermanentJobError).
    perJobResults: true,
  } as const;
  /**
   * JOBS_CONCURRENCY workers for the queue, each fetching one job at a time. pg-boss' worker waits the polling
   * interval after every fetch, a fetch that brought a job included, so a backlog would drain at one job per
   * worker and interval whatever the handlers' speed. A worker that got a job therefore asks for the next at once
   * (pg-boss' `notifyWorker` ends its wait): only a fetch that found the queue empty — or failed — waits
   * JOBS_POLL_MS. One `work` a worker, since `notifyWorker` reaches a worker by its id and `work` returns one id.
   */
  const startWorkers = async (queue: string, handler: JobHandler<JobPayload>) => {
    for (let n = 0; n < config.concurrency; n++) {
      let workerId: string | undefined;
      workerId = await boss.work<JobPayload, void, typeof workOptions>(queue, workOptions, async (jobs) => {
        try {
          const results: JobResult[] = [];
          for (const job of jobs) results.push(await run(handler, job));
          return results;
        } finally {
          // Read when the job ended: pg-boss calls this only for a fetch that brought jobs, long after `work`
          // returned the id (a fetch is a round trip to the database first).
          if (workerId !== undefined) boss.notifyWorker(workerId);
        }
      });
    }
  };

  return {
    workers: config.workers,

    async send(queue, payload, sendOptions = {}) {
      known(queue);
      checkPayload(queue, payload);
      const id = await boss.send(queue, payload as object, {
        ...(sendOptions.db ? { db: sendOptions.db } : {}),
        ...(sendOptions.startAfter ? { startAfter: sendOptions.startAfter } : {}),
      });
      if (id === null) throw new Error(`queue ${queue} did not accept the job`);
      logger.debug({ jobId: id, queue }, 'job sent');
      return id;
    },

    async work(queue, handler) {
      known(queue);
      if (handlers.has(queue)) throw new Error(`queue ${queue} has a handler already`);
      handlers.set(queue, handler as JobHandler<JobPayload>);
      if (!running) {
        logger.info({ queue }, 'job workers are off in this instance (JOBS_WORKERS=0, or paused)');
        return;
      }
      await startWorkers(queue, handler as JobHandler<JobPayload>);
    },

    async pauseWorkers() {
      running = false;
      for (const queue of handlers.keys()) await boss.offWork(queue, { wait: true });
      logger.info({ queues: [...handlers.keys()] }, 'job workers paused');
    },

    async resumeWorkers() {
      if (running) return;
      running = true;
      for (const [queue, handler] of handlers) await startWorkers(queue, handler);
      logger.info({ queues: [...handlers.keys()] }, 'job workers resumed');
    },

    deadLetters(listOptions = {}) {
      if (listOptions.queue !== undefined) known(listOptions.queue);
      const of = listOptions.queue === undefined ? names : [listOptions.queue];
      return listDeadLetters(
        boss,
        of.map(deadLetterQueue),
        pageSize('first', listOptions.first),
        listOptions.after,
      );
    },

    async redrive(id) {
      const holder = await deadLetterQueueOf(boss, names.map(deadLetterQueue), id);
      if (holder === undefined) return false;
      const moved = (await boss.redrive(holder, { ids: [id] })) === 1;
      logger.info(
        { deadLetterId: id, queue: holder, outcome: moved ? 'redriven' : 'not-redriven' },
        'dead letter',
      );
      return moved;
    },

    async stop() {
      await boss.stop({ graceful: true, timeout: config.stopTimeoutMs, close: true });
    },
  };
}
