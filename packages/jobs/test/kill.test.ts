import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createJobQueue, jobQueue, loadJobsConfig, prepareJobs } from '../src/index.js';
import { capturingLogger, createJobsDatabase, eventually, type JobsDatabase } from './support/database.js';

/**
 * A worker process killed with SIGKILL in the middle of a job: its heartbeat stops, any instance's supervisor
 * fails the job after JOBS_HEARTBEAT_SECONDS, and another worker runs it again (attempt 2). The handler's
 * idempotence is what makes that second run harmless.
 */
const QUEUES = { 'test.kill': jobQueue<{ contactId: string }>() };
const ENV = {
  JOBS_HEARTBEAT_SECONDS: '10',
  JOBS_SUPERVISE_SECONDS: '1',
  JOBS_POLL_MS: '500',
  JOBS_RETRY_DELAY_SECONDS: '1',
  JOBS_RETRY_LIMIT: '2',
};
const script = fileURLToPath(new URL('./support/worker-process.mjs', import.meta.url));
const built = fileURLToPath(new URL('../dist/index.js', import.meta.url));

let db: JobsDatabase;
let child: ChildProcess | undefined;
const { logger } = capturingLogger();

beforeAll(async () => {
  db = await createJobsDatabase();
  await prepareJobs(db, { queues: QUEUES, config: loadJobsConfig(ENV), production: true, logger });
});

afterAll(async () => {
  child?.kill('SIGKILL');
  await db?.drop();
});

it('a job whose worker process was killed is picked up again by another worker after its heartbeat lapses', async () => {
  // The worker process runs the built package, as a service does (`npm test` builds it first).
  expect(existsSync(built), 'packages/jobs/dist is missing: build first (npm run build)').toBe(true);
  child = spawn(process.execPath, [script], {
    env: { ...process.env, ...ENV, JOBS_TEST_URL: db.url },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => lines.push(line));
  await eventually('the worker process to be ready', () => lines.includes('ready'));

  const jobs = await createJobQueue({
    url: db.url,
    queues: QUEUES,
    config: loadJobsConfig({ ...ENV, JOBS_WORKERS: '0' }),
    logger,
  });
  const id = await jobs.send('test.kill', { contactId: '3f0c1d52-8a4e-4c1b-9e7a-0b6d2f4c8a11' });
  await eventually('the killed worker to start the job', () => lines.includes(`started ${id} 1`));
  child.kill('SIGKILL');
  const killedAt = Date.now();
  await jobs.stop();

  const rescuer = await createJobQueue({
    url: db.url,
    queues: QUEUES,
    config: loadJobsConfig(ENV),
    logger,
    name: 'rescuer',
  });
  const runs: { id: string; attempt: number; at: number }[] = [];
  await rescuer.work('test.kill', async (_payload, job) => {
    runs.push({ id: job.id, attempt: job.attempt, at: Date.now() });
  });
  const [{ state }] = (await eventually('the job to complete in another worker', async () => {
    const rows = await db.sql<{ state: string }>('select state from pgboss.job where id = $1', [id]);
    return rows[0]?.state === 'completed' ? rows : undefined;
  })) as [{ state: string }];
  expect(state).toBe('completed');
  expect(runs.map((run) => [run.id, run.attempt])).toEqual([[id, 2]]);
  // Not before the heartbeat lapsed: its last beat was at most half an interval before the kill.
  expect(runs[0]!.at - killedAt).toBeGreaterThanOrEqual(4000);
  await rescuer.stop();
}, 60_000);
