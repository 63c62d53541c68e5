import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ConfigError } from '@custos/runtime';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clientDb,
  createJobQueue,
  type JobQueue,
  type JobsConfig,
  jobQueue,
  loadJobsConfig,
  PermanentJobError,
  prepareJobs,
} from '../src/index.js';
import { capturingLogger, createJobsDatabase, eventually, type JobsDatabase } from './support/database.js';

/**
 * The job queue on a real PostgreSQL, as deployed: schema `pgboss` made by the owner role, jobs sent and worked
 * as the application role. Short settings (a retry after about a second, supervision every second) keep it quick.
 */
const QUEUES = {
  'test.idempotent': jobQueue<{ key: string }>(),
  'test.failing': jobQueue<{ contactId: string }>(),
  'test.permanent': jobQueue<{ contactId: string }>(),
  'test.slow': jobQueue<{ ms: number }>(),
  'test.tx': jobQueue<{ contactId: string }>(),
  'test.paused': jobQueue<{ contactId: string }>(),
  'test.many': jobQueue<{ n: number }>(),
  // Its own settings over the JOBS_* ones: one attempt of at most a second.
  'test.expiring': jobQueue<{ contactId: string }>({ expireSeconds: 1, retryLimit: 0 }),
};
type Queues = typeof QUEUES;

const config = (env: Record<string, string> = {}): JobsConfig =>
  loadJobsConfig({
    JOBS_POLL_MS: '500',
    JOBS_SUPERVISE_SECONDS: '1',
    JOBS_RETRY_LIMIT: '2',
    JOBS_RETRY_DELAY_SECONDS: '1',
    JOBS_STOP_TIMEOUT_MS: '1000',
    JOBS_HEARTBEAT_SECONDS: '10',
    ...env,
  });

let db: JobsDatabase;
const { logger, lines } = capturingLogger();
const open: JobQueue<Queues>[] = [];

async function queue(env: Record<string, string> = {}): Promise<JobQueue<Queues>> {
  const created = await createJobQueue({
    url: db.url,
    queues: QUEUES,
    config: config(env),
    logger,
    name: 'test',
  });
  open.push(created);
  return created;
}

const jobState = async (id: string) =>
  (await db.sql<{ state: string }>('select state from pgboss.job where id = $1', [id]))[0]?.state;

beforeAll(async () => {
  db = await createJobsDatabase();
  await prepareJobs(db, { queues: QUEUES, config: config(), production: true, logger });
  // A table the handlers write to, as a service's own tables are: owned by the owner, written by the app role.
  const owner = new pg.Client({ connectionString: db.ownerUrl });
  await owner.connect();
  await owner.query('create table effect (key text primary key, value text not null)');
  await owner.query(`grant select, insert, update on effect to "${db.appRole}"`);
  await owner.end();
});

afterAll(async () => {
  for (const created of open) await created.stop().catch(() => {});
  await db?.drop();
});

describe('the application role in schema pgboss', () => {
  it('holds exactly the declared privileges, and can neither create nor change the schema', async () => {
    const rows = await db.sql<{ relation: string; privilege: string }>(
      `select c.relname as relation, p.privilege
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
        cross join unnest(array['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']) p(privilege)
        where n.nspname = 'pgboss' and c.relkind in ('r', 'p', 'v', 'm', 'S')
          and (case when c.relkind = 'S' then has_sequence_privilege($1, c.oid, 'USAGE, SELECT, UPDATE')
                    else has_table_privilege($1, c.oid, p.privilege) end)
        order by 1, 2`,
      [db.appRole],
    );
    const held = rows.map((row) => `${row.relation}: ${row.privilege}`).sort();
    expect(held).toEqual(
      [
        'instance: DELETE',
        'instance: INSERT',
        'instance: SELECT',
        'instance: UPDATE',
        'job: DELETE',
        'job: INSERT',
        'job: SELECT',
        'job: UPDATE',
        'job_common: DELETE',
        'job_common: INSERT',
        'job_common: SELECT',
        'job_common: UPDATE',
        'job_dependency: DELETE',
        'job_dependency: SELECT',
        'queue: SELECT',
        'queue: UPDATE',
        'version: SELECT',
        'version: UPDATE',
      ].sort(),
    );
    const [schema] = await db.sql<{ create: boolean; usage: boolean }>(
      `select has_schema_privilege($1, 'pgboss', 'CREATE') as create, has_schema_privilege($1, 'pgboss', 'USAGE') as usage`,
      [db.appRole],
    );
    expect(schema).toEqual({ create: false, usage: true });
    const [owner] = await db.sql<{ owner: string }>(
      `select pg_get_userbyid(nspowner) as owner from pg_namespace where nspname = 'pgboss'`,
    );
    expect(owner?.owner).not.toBe(db.appRole);
  });

  it('prepareJobs again (a restart) changes nothing, and a role holding more refuses the start in production', async () => {
    await prepareJobs(db, { queues: QUEUES, config: config(), production: true, logger });
    // The owner as the application role: it holds everything.
    await expect(
      prepareJobs(
        { url: db.ownerUrl, ownerUrl: db.ownerUrl },
        { queues: QUEUES, config: config(), production: true, logger },
      ),
    ).rejects.toThrow(/owns schema pgboss/);
    const warned = lines.length;
    await prepareJobs(
      { url: db.ownerUrl, ownerUrl: db.ownerUrl },
      { queues: QUEUES, config: config(), production: false, logger },
    );
    expect(lines.slice(warned).some((line) => JSON.parse(line).level === 40)).toBe(true);
  });

  it('creates each queue with its dead-letter queue, retries with backoff', async () => {
    const queues = await db.sql<{
      name: string;
      retry_limit: number;
      retry_backoff: boolean;
      dead_letter: string | null;
    }>(
      `select name, retry_limit, retry_backoff, dead_letter from pgboss.queue where name like 'test.failing%' order by name`,
    );
    expect(queues).toEqual([
      { name: 'test.failing', retry_limit: 2, retry_backoff: true, dead_letter: 'test.failing.dead' },
      { name: 'test.failing.dead', retry_limit: 0, retry_backoff: false, dead_letter: null },
    ]);
  });
});

describe('jobs', () => {
  it('a handler that fails after doing its work is retried, and running it twice leaves the same result', async () => {
    const jobs = await queue();
    const runs: number[] = [];
    await jobs.work('test.idempotent', async (payload, job) => {
      runs.push(job.attempt);
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      try {
        await client.query(
          'insert into effect (key, value) values ($1, $2) on conflict (key) do update set value = excluded.value',
          [payload.key, 'done'],
        );
      } finally {
        await client.end();
      }
      if (job.attempt === 1) throw new TypeError('lost the connection after the write');
    });
    const key = `k${randomUUID().slice(0, 8)}`;
    const id = await jobs.send('test.idempotent', { key });
    await eventually('the job to complete', async () => (await jobState(id)) === 'completed');
    expect(runs).toEqual([1, 2]);
    expect(await db.sql('select key, value from effect where key = $1', [key])).toEqual([
      { key, value: 'done' },
    ]);
    await jobs.stop();
  });

  it('retries with exponential backoff, then dead-letters, keeping only the error class', async () => {
    const jobs = await queue();
    const attempts: { attempt: number; at: number }[] = [];
    class SmtpError extends Error {
      override name = 'SmtpError';
    }
    const contactId = randomUUID();
    await jobs.work('test.failing', async (_payload, job) => {
      attempts.push({ attempt: job.attempt, at: Date.now() });
      throw new SmtpError('550 mailbox unavailable: alice@example.com');
    });
    const id = await jobs.send('test.failing', { contactId });
    const letter = await eventually('the dead letter', async () => {
      const page = await jobs.deadLetters({ queue: 'test.failing' });
      return page.nodes.find((node) => node.jobId === id);
    });
    expect(attempts.map((a) => a.attempt)).toEqual([1, 2, 3]);
    // pg-boss waits retryDelay × (2^n/2 + 2^n/2 × random) before retry n: at least 1 s, then at least 2 s.
    expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(1000);
    expect(attempts[2]!.at - attempts[1]!.at).toBeGreaterThanOrEqual(2000);
    expect(letter).toMatchObject({ queue: 'test.failing', jobId: id, attempts: 3, errorName: 'SmtpError' });
    expect(await jobState(id)).toBe('failed');
    // The message (here: an address) is stored nowhere, and never logged; neither is the payload.
    const stored = await db.sql<{ text: string }>(
      `select coalesce(output::text, '') || coalesce(source_output::text, '') || coalesce(data::text, '') as text
         from pgboss.job where id = $1 or source_id = $1`,
      [id],
    );
    expect(stored.length).toBe(2);
    expect(stored.some((row) => row.text.includes('alice') || row.text.includes('mailbox'))).toBe(false);
    const log = lines.join('\n');
    expect(log).not.toContain('alice');
    expect(log).not.toContain(contactId);
    const failures = lines
      .map((line) => JSON.parse(line))
      .filter((line) => line.jobId === id && line.msg === 'job failed');
    expect(failures.map((line) => [line.queue, line.attempt, line.outcome, line.error])).toEqual([
      ['test.failing', 1, 'retry', 'SmtpError'],
      ['test.failing', 2, 'retry', 'SmtpError'],
      ['test.failing', 3, 'dead-lettered', 'SmtpError'],
    ]);
    expect(failures.every((line) => typeof line.durationMs === 'number')).toBe(true);
    await jobs.stop();
  });

  it('a PermanentJobError gives up at once: the job is a dead letter without its remaining retries', async () => {
    const jobs = await queue();
    const runs: { contactId: string; attempt: number }[] = [];
    const [now, later, unnamed] = [randomUUID(), randomUUID(), randomUUID()];
    await jobs.work('test.permanent', async (payload, job) => {
      runs.push({ contactId: payload.contactId, attempt: job.attempt });
      if (payload.contactId === later && job.attempt === 1) throw new TypeError('a passing failure');
      if (payload.contactId === unnamed) throw new PermanentJobError('550 no such user: bob@example.com');
      throw new PermanentJobError('EENVELOPE');
    });
    const ids = {
      now: await jobs.send('test.permanent', { contactId: now }),
      later: await jobs.send('test.permanent', { contactId: later }),
      unnamed: await jobs.send('test.permanent', { contactId: unnamed }),
    };
    const letters = await eventually('three dead letters', async () => {
      const page = await jobs.deadLetters({ queue: 'test.permanent', first: 10 });
      return page.nodes.length === 3 ? page.nodes : undefined;
    });
    const byJob = (id: string) => letters.find((letter) => letter.jobId === id);
    // Given up at the first attempt; the other after one ordinary retry — counted as any dead letter's are.
    expect(byJob(ids.now)).toMatchObject({ queue: 'test.permanent', attempts: 1, errorName: 'EENVELOPE' });
    expect(byJob(ids.later)).toMatchObject({ queue: 'test.permanent', attempts: 2, errorName: 'EENVELOPE' });
    // A name that is not a name (here: a reply quoting an address) is not kept.
    expect(byJob(ids.unnamed)).toMatchObject({ attempts: 1, errorName: 'PermanentJobError' });
    for (const id of Object.values(ids)) expect(await jobState(id)).toBe('failed');
    // The queue allows two retries, a second apart: none of them ran (waited past when they would have).
    await sleep(3000);
    expect(
      runs
        .map(
          (run) =>
            `${run.contactId === now ? 'now' : run.contactId === later ? 'later' : 'unnamed'} ${run.attempt}`,
        )
        .sort(),
    ).toEqual(['later 1', 'later 2', 'now 1', 'unnamed 1']);
    expect((await jobs.deadLetters({ queue: 'test.permanent', first: 10 })).nodes).toHaveLength(3);
    // Only this queue's: the listing of another queue has none of them, the listing of all has them all.
    const failing = await jobs.deadLetters({ queue: 'test.failing', first: 100 });
    expect(failing.nodes.filter((letter) => Object.values(ids).includes(letter.jobId ?? ''))).toEqual([]);
    const all = await jobs.deadLetters({ first: 500 });
    expect(all.nodes.filter((letter) => Object.values(ids).includes(letter.jobId ?? ''))).toHaveLength(3);
    // Logged as dead-lettered and permanent; the message (an address) stored nowhere, logged nowhere.
    const failures = lines
      .map((line) => JSON.parse(line))
      .filter((line) => line.jobId === ids.now && line.msg === 'job failed');
    expect(failures.map((line) => [line.attempt, line.outcome, line.error, line.permanent])).toEqual([
      [1, 'dead-lettered', 'EENVELOPE', true],
    ]);
    const stored = await db.sql<{ text: string }>(
      `select coalesce(output::text, '') || coalesce(source_output::text, '') as text
         from pgboss.job where id = $1 or source_id = $1`,
      [ids.unnamed],
    );
    expect(stored).toHaveLength(2);
    expect(stored.some((row) => row.text.includes('bob') || row.text.includes('550'))).toBe(false);
    expect(lines.join('\n')).not.toContain('bob@example.com');
    await jobs.stop();
  });

  it('lists dead letters newest first, a page at a time, and re-drives one by id', async () => {
    const failing = await queue();
    await failing.work('test.failing', async () => {
      throw new RangeError('no');
    });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await failing.send('test.failing', { contactId: randomUUID() }));
    await eventually('three dead letters', async () => {
      const page = await failing.deadLetters({ queue: 'test.failing', first: 100 });
      return ids.every((id) => page.nodes.some((node) => node.jobId === id));
    });
    await failing.stop();

    const jobs = await queue();
    const all = await jobs.deadLetters({ first: 100 });
    const times = all.nodes.map((node) => `${node.deadLetteredAt}|${node.id}`);
    expect(times).toEqual([...times].sort().reverse());
    expect(await all.totalCount()).toBe(all.nodes.length);
    // Page by page: the same letters, in the same order.
    const paged: string[] = [];
    let after: readonly [string, string] | undefined;
    for (;;) {
      const page = await jobs.deadLetters({ first: 2, ...(after ? { after } : {}) });
      paged.push(...page.nodes.map((node) => node.id));
      if (!page.hasNextPage) break;
      const last = page.nodes.at(-1)!;
      after = [last.deadLetteredAt, last.id];
    }
    expect(paged).toEqual(all.nodes.map((node) => node.id));

    const done: string[] = [];
    await jobs.work('test.failing', async (payload) => {
      done.push(payload.contactId);
    });
    const letter = all.nodes.find((node) => node.jobId === ids[0])!;
    const [{ data }] = (await db.sql<{ data: { contactId: string } }>(
      'select data from pgboss.job where id = $1',
      [ids[0]],
    )) as [{ data: { contactId: string } }];
    expect(await jobs.redrive(letter.id)).toBe(true);
    await eventually('the re-driven job to run', () => done.includes(data.contactId));
    expect((await jobs.deadLetters({ first: 100 })).nodes.map((node) => node.id)).not.toContain(letter.id);
    // Gone from the dead letters: a second re-drive, an unknown id and a malformed one do nothing.
    expect(await jobs.redrive(letter.id)).toBe(false);
    expect(await jobs.redrive(randomUUID())).toBe(false);
    expect(await jobs.redrive('not-an-id')).toBe(false);
    await expect(jobs.deadLetters({ after: ['yesterday', randomUUID()] })).rejects.toThrow(/not a cursor/);
    await jobs.stop();
  });

  it('a job sent in the caller’s transaction exists if and only if it commits', async () => {
    const jobs = await queue({ JOBS_WORKERS: '0' });
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      await client.query('begin');
      const rolledBack = await jobs.send('test.tx', { contactId: randomUUID() }, { db: clientDb(client) });
      // Not visible outside the transaction before it commits.
      expect(await jobState(rolledBack)).toBeUndefined();
      await client.query('rollback');
      expect(await jobState(rolledBack)).toBeUndefined();

      await client.query('begin');
      const committed = await jobs.send('test.tx', { contactId: randomUUID() }, { db: clientDb(client) });
      expect(await jobState(committed)).toBeUndefined();
      await client.query('commit');
      expect(await jobState(committed)).toBe('created');
    } finally {
      await client.end();
    }
    await jobs.stop();
  });

  it('JOBS_WORKERS=0 holds the workers until resumeWorkers(); pauseWorkers() holds them again', async () => {
    const paused = await queue({ JOBS_WORKERS: '0' });
    expect(paused.workers).toBe(false);
    const ran: string[] = [];
    await paused.work('test.paused', async (payload) => {
      ran.push(payload.contactId);
    });
    const first = randomUUID();
    const id = await paused.send('test.paused', { contactId: first });
    await sleep(1500);
    expect(ran).toEqual([]);
    expect(await jobState(id)).toBe('created');
    await paused.resumeWorkers();
    await eventually('the job to complete', async () => (await jobState(id)) === 'completed');
    expect(ran).toEqual([first]);

    await paused.pauseWorkers();
    const second = randomUUID();
    const next = await paused.send('test.paused', { contactId: second });
    await sleep(1500);
    expect(await jobState(next)).toBe('created');
    expect(ran).toEqual([first]);
    // An instance with workers runs it.
    const working = await queue();
    await working.work('test.paused', async (payload) => {
      ran.push(payload.contactId);
    });
    await eventually('the job to complete', async () => (await jobState(next)) === 'completed');
    expect(ran).toEqual([first, second]);
    await expect(working.work('test.paused', async () => {})).rejects.toThrow(/handler already/);
    await paused.stop();
    await working.stop();
  });
});

describe('several instances', () => {
  it('run each job once between them (pg-boss fetches with SKIP LOCKED)', async () => {
    const runs: { n: number; instance: number }[] = [];
    const instances = [await queue({ JOBS_CONCURRENCY: '3' }), await queue({ JOBS_CONCURRENCY: '3' })];
    for (const [index, instance] of instances.entries()) {
      await instance.work('test.many', async (payload) => {
        runs.push({ n: payload.n, instance: index });
        await sleep(100);
      });
    }
    const ids: string[] = [];
    for (let n = 0; n < 30; n++) ids.push(await instances[n % 2]!.send('test.many', { n }));
    await eventually('every job to complete', async () => {
      const [row] = await db.sql<{ done: number }>(
        `select count(*)::int as done from pgboss.job where id = any($1::uuid[]) and state = 'completed'`,
        [ids],
      );
      return row?.done === ids.length;
    });
    expect(runs.map((run) => run.n).sort((a, b) => a - b)).toEqual([...Array(30).keys()]);
    // Both took part (30 jobs of 100 ms, 3 at a time, outlast a poll).
    expect(new Set(runs.map((run) => run.instance)).size).toBe(2);
    for (const instance of instances) await instance.stop();
  });
});

describe('a job that runs past its expiry', () => {
  it('is failed by the worker (its signal aborts) and dead-lettered as JobExpired', async () => {
    const jobs = await queue();
    let aborted = false;
    await jobs.work('test.expiring', async (_payload, job) => {
      await sleep(5000, undefined, { signal: job.signal }).catch(() => {
        aborted = true;
      });
    });
    const id = await jobs.send('test.expiring', { contactId: randomUUID() });
    const letter = await eventually('the dead letter', async () => {
      const page = await jobs.deadLetters({ queue: 'test.expiring' });
      return page.nodes.find((node) => node.jobId === id);
    });
    expect(letter).toMatchObject({ queue: 'test.expiring', attempts: 1, errorName: 'JobExpired' });
    expect(aborted).toBe(true);
    await jobs.stop();
  });
});

describe('stop()', () => {
  it('lets a running job finish', async () => {
    const jobs = await queue({ JOBS_STOP_TIMEOUT_MS: '10000' });
    let started = false;
    await jobs.work('test.slow', async (payload) => {
      started = true;
      await new Promise((resolve) => setTimeout(resolve, payload.ms));
    });
    const id = await jobs.send('test.slow', { ms: 1500 });
    await eventually('the job to start', () => started);
    const stopping = Date.now();
    await jobs.stop();
    expect(Date.now() - stopping).toBeLessThan(10_000);
    expect(await jobState(id)).toBe('completed');
  });

  it('releases a job still running at its timeout, and another instance runs it again', async () => {
    const jobs = await queue({ JOBS_STOP_TIMEOUT_MS: '1000' });
    const attempts: number[] = [];
    await jobs.work('test.slow', async (payload, job) => {
      attempts.push(job.attempt);
      // A handler that honours its signal: stopped at the queue's stop timeout.
      await sleep(payload.ms, undefined, { signal: job.signal });
    });
    const id = await jobs.send('test.slow', { ms: 20_000 });
    await eventually('the job to start', () => attempts.length === 1);
    const stopping = Date.now();
    await jobs.stop();
    expect(Date.now() - stopping).toBeLessThan(5000);
    expect(await jobState(id)).toBe('retry');

    const next = await queue();
    const rerun: number[] = [];
    await next.work('test.slow', async (_payload, job) => {
      rerun.push(job.attempt);
    });
    await eventually('the job to complete elsewhere', async () => (await jobState(id)) === 'completed');
    expect(rerun).toEqual([2]);
    await next.stop();
  });
});

describe('payloads are ids and triggers, never personal data', () => {
  it('refuses an email, free text, a phone number or a nested object, naming the key, never the value', async () => {
    const jobs = await queue({ JOBS_WORKERS: '0' });
    const refused: [string, Record<string, unknown>][] = [
      ['looks like an email address', { contactId: 'alice@example.com' }],
      ['free text', { contactId: 'Alice Smith' }],
      ['neither a UUID', { contactId: '+14155550100' }],
      ['neither a UUID', { contactId: '14155550100' }],
      ['longer than 64', { contactId: `a${'b'.repeat(64)}` }],
      ['not a string, a whole number', { contactId: { email: 'x' } }],
      ['not a whole number', { contactId: 1.5 }],
      ['free text', { contactId: 'line\nbreak' }],
    ];
    for (const [rule, payload] of refused) {
      const attempt = jobs.send('test.tx', payload as { contactId: string });
      await expect(attempt).rejects.toThrow(rule);
      const message = await attempt.catch((error: Error) => error.message);
      expect(message).toContain('contactId');
      expect(message).not.toContain(String(Object.values(payload)[0]));
    }
    await expect(jobs.send('test.tx', ['x'] as never)).rejects.toThrow(/plain object/);
    await expect(jobs.send('test.tx', { 'e-mail': 'x' } as never)).rejects.toThrow(/not a name/);
    await expect(jobs.send('nope' as never, {} as never)).rejects.toThrow(/no queue/);
    const [{ count }] = (await db.sql<{ count: number }>(
      `select count(*)::int as count from pgboss.job where name = 'test.tx' and data::text like '%example%'`,
    )) as [{ count: number }];
    expect(count).toBe(0);
    // Ids, a token, a time, a count, a flag, a list of ids: accepted.
    const accepted = {
      contactId: randomUUID(),
      purpose: 'sale_share',
      at: new Date().toISOString(),
      count: 3,
      confirmed: true,
      ids: [randomUUID(), randomUUID()],
      none: null,
    };
    await expect(jobs.send('test.tx', accepted as never)).resolves.toMatch(/^[0-9a-f-]{36}$/);
    await jobs.stop();
  });
});

describe('settings', () => {
  it('names each bad JOBS_* setting and its rule, never its value', () => {
    let problems: readonly string[] = [];
    try {
      loadJobsConfig({
        JOBS_WORKERS: 'yes',
        JOBS_HEARTBEAT_SECONDS: '5',
        JOBS_POLL_MS: '100',
        JOBS_RETRY_DELAY_SECONDS: '60',
        JOBS_RETRY_DELAY_MAX_SECONDS: '30',
      });
    } catch (error) {
      problems = (error as ConfigError).problems;
    }
    expect([...problems].sort()).toEqual([
      'JOBS_HEARTBEAT_SECONDS: must be 0 (off) or a whole number from 10 to 3600',
      'JOBS_POLL_MS: must be a whole number from 500 to 60000',
      'JOBS_RETRY_DELAY_MAX_SECONDS: must be at least JOBS_RETRY_DELAY_SECONDS',
      'JOBS_WORKERS: must be 0 or 1',
    ]);
    expect(loadJobsConfig({})).toMatchObject({ workers: true, retryLimit: 5, heartbeatSeconds: 30 });
  });
});

describe('the application role lacked nothing', () => {
  it('pg-boss reported no error in any of the above (no permission denied, no failed supervision pass)', () => {
    const errors = lines.map((line) => JSON.parse(line)).filter((line) => line.msg === 'job queue error');
    expect(errors).toEqual([]);
  });
});
