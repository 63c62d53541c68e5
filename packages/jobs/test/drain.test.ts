import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createJobQueue,
  type JobQueue,
  type JobsConfig,
  jobQueue,
  loadJobsConfig,
  prepareJobs,
} from '../src/index.js';
import { capturingLogger, createJobsDatabase, eventually, type JobsDatabase } from './support/database.js';

/**
 * How fast a backlog drains, on a real PostgreSQL. The poll interval is at its maximum (a minute) and the test
 * has 20 seconds: were a worker to wait the interval after each job, 2 workers would run 2 of the 40 jobs in
 * that time. Fetches are counted in the database, by a statement trigger on pg-boss' job table that records
 * each fetch statement (pg-boss claims with `… FOR UPDATE OF j SKIP LOCKED`, naming the queue in its text).
 */
const QUEUE = 'test.backlog';
const QUEUES = { [QUEUE]: jobQueue<{ n: number }>() };
const JOBS = 40;
const CONCURRENCY = 2;

const config = (env: Record<string, string> = {}): JobsConfig =>
  loadJobsConfig({
    JOBS_POLL_MS: '60000',
    JOBS_CONCURRENCY: String(CONCURRENCY),
    JOBS_SUPERVISE_SECONDS: '3600',
    JOBS_STOP_TIMEOUT_MS: '1000',
    ...env,
  });

let db: JobsDatabase;
const { logger } = capturingLogger();
let jobs: JobQueue<typeof QUEUES> | undefined;

const fetches = async () =>
  (await db.sql<{ count: number }>('select count(*)::int as count from fetch_log'))[0]?.count ?? -1;
const states = async () =>
  Object.fromEntries(
    (
      await db.sql<{ state: string; count: number }>(
        'select state, count(*)::int as count from pgboss.job where name = $1 group by state',
        [QUEUE],
      )
    ).map((row) => [row.state, row.count]),
  );

beforeAll(async () => {
  db = await createJobsDatabase();
  await prepareJobs(db, { queues: QUEUES, config: config(), production: true, logger });
  // Fixtures as the superuser: the application role fetches, and holds nothing on fetch_log (security definer).
  await db.sql('create table fetch_log (at timestamptz not null default clock_timestamp())');
  await db.sql(`
    create function log_fetch() returns trigger language plpgsql security definer set search_path = public as $$
    begin
      if current_query() like '%SKIP LOCKED%' and current_query() like '%''${QUEUE}''%' then
        insert into fetch_log default values;
      end if;
      return null;
    end $$`);
  // A statement-level trigger fires also for an UPDATE that changed no row (an empty fetch). pg-boss updates
  // the queue's partition (job_common) or the parent: one of the two fires, never both.
  for (const table of ['pgboss.job', 'pgboss.job_common']) {
    await db.sql(
      `create trigger log_fetch after update on ${table} for each statement execute function log_fetch()`,
    );
  }
});

afterAll(async () => {
  // Stopped by the test when it passes; here after a failure, before the database goes.
  await jobs?.stop().catch(() => {});
  await db?.drop();
});

describe('a backlog', () => {
  it('drains at the speed of its handlers, JOBS_CONCURRENCY at a time; an empty queue is polled at JOBS_POLL_MS', async () => {
    // Held (JOBS_WORKERS=0) until the whole backlog is queued.
    const held = await createJobQueue({
      url: db.url,
      queues: QUEUES,
      config: config({ JOBS_WORKERS: '0' }),
      logger,
    });
    jobs = held;
    const ran: number[] = [];
    let inFlight = 0;
    let mostInFlight = 0;
    await held.work(QUEUE, async ({ n }) => {
      inFlight += 1;
      mostInFlight = Math.max(mostInFlight, inFlight);
      await sleep(20);
      ran.push(n);
      inFlight -= 1;
    });
    for (let n = 0; n < JOBS; n++) await held.send(QUEUE, { n });
    expect(await states()).toEqual({ created: JOBS });
    // Held so far (JOBS_WORKERS=0): nothing fetched yet.
    expect(await fetches()).toBe(0);

    await held.resumeWorkers();
    await eventually(
      'the backlog to drain',
      async () => (await states()).completed === JOBS && ran.length === JOBS,
      20_000,
    );
    expect([...ran].sort((a, b) => a - b)).toEqual([...Array(JOBS).keys()]);
    expect(mostInFlight).toBeGreaterThanOrEqual(1);
    expect(mostInFlight).toBeLessThanOrEqual(CONCURRENCY);

    // Idle: each job took one fetch, and each worker one more that found the queue empty; then they wait.
    await sleep(2000);
    expect(await fetches()).toBe(JOBS + CONCURRENCY);
    await sleep(1000);
    expect(await fetches()).toBe(JOBS + CONCURRENCY);
    // A job sent to the idle queue waits for the next poll (a minute away): no worker is spinning.
    await held.send(QUEUE, { n: JOBS });
    await sleep(1500);
    expect(await states()).toEqual({ completed: JOBS, created: 1 });
    expect(await fetches()).toBe(JOBS + CONCURRENCY);
    expect(ran).toHaveLength(JOBS);
    await held.stop();
    jobs = undefined;
  }, 40_000);
});
