import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadChannelSettings } from '../src/jobs/settings.js';
import { SWEEP_LOCK_KEY } from '../src/jobs/sweep.js';
import { startTestServer, type TestServer } from './support/harness.js';
import { until } from './support/mail.js';

// The periodic sweep's housekeeping (issue 14): the shared rate limits' windows long over and the public forms'
// submissions nobody processed are deleted — by every instance, workers or not, one at a time, idempotently —
// so neither table keeps what it no longer needs (a submission holds the address someone typed).

let server: TestServer;
const HOUR_MS = 3_600_000;
const STALE = 'public consent submissions deleted unprocessed';

beforeAll(async () => {
  // No workers anywhere: nothing processes a submission, and the sweep must run all the same.
  server = await startTestServer({
    env: {
      JOBS_WORKERS: '0',
      MAIL_SWEEP_SECONDS: '1',
      CONSENT_SUBMISSION_MAX_AGE: '1h',
      PUBLIC_RATE_LIMIT_PER_MINUTE: '100000',
    },
  });
});
afterAll(() => server?.close());

const post = (body: unknown) =>
  fetch(`${server.baseUrl}/public/consent`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

async function freshContact(): Promise<{ id: string; email: string }> {
  const [row] = await server.sql<{ id: string; email: string }>(
    `insert into contact (id, full_name, email, created_at, updated_at)
     values (gen_random_uuid(), 'Sweep Person', 'sweep-' || gen_random_uuid() || '@example.org', now(), now())
     returning id, email`,
  );
  return row!;
}

const rateLimitKeys = async (prefix: string) =>
  (
    await server.sql<{ key: string }>('select key from rate_limit where key like $1 order by key', [
      `${prefix}:%`,
    ])
  ).map((row) => row.key);

const submissionsOf = (email: string) =>
  server.sql<{ status: string }>('select status from consent_submission where email = $1 order by status', [
    email,
  ]);

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the periodic sweep', () => {
  it('deletes the rate limits’ windows over for more than an hour, and keeps the recent and the live ones', async () => {
    const now = Date.now();
    await server.sql(
      `insert into rate_limit (key, points, expire) values
         ('window:long-over', 3, $1), ('window:just-over', 3, $2), ('window:live', 3, $3)`,
      [now - 2 * HOUR_MS, now - 60_000, now + 60_000],
    );
    // A real client's count, as the endpoint writes it (its window is live).
    expect((await post({ email: 'x@example.org', purpose: 'marketing', status: 'DENIED' })).status).toBe(202);
    const [counted] = await server.sql<{ n: number }>(
      "select count(*)::int n from rate_limit where key like 'public:%'",
    );
    expect(counted!.n).toBe(1);

    await until('the long-over window deleted', async () =>
      (await rateLimitKeys('window')).includes('window:long-over') ? undefined : true,
    );
    expect(await rateLimitKeys('window')).toEqual(['window:just-over', 'window:live']);
    expect((await rateLimitKeys('public')).length).toBe(1);
  });

  it('deletes a submission older than CONSENT_SUBMISSION_MAX_AGE unacted on — nothing recorded, nothing mailed — and logs only counts', async () => {
    const contact = await freshContact();
    for (const body of [
      { email: contact.email, purpose: 'sale_share', status: 'GRANTED', noticeVersion: '2026-01' },
      { email: contact.email, purpose: 'marketing', status: 'WITHDRAWN' },
      { email: contact.email, purpose: 'marketing', status: 'DENIED' },
    ]) {
      expect((await post(body)).status).toBe(202);
    }
    expect(await submissionsOf(contact.email)).toEqual([
      { status: 'DENIED' },
      { status: 'GRANTED' },
      { status: 'WITHDRAWN' },
    ]);
    // Two of them received two hours ago, past the maximum age (1 hour here); the refusal just now.
    await server.sql(
      `update consent_submission set received_at = now() - interval '2 hours'
        where email = $1 and status <> 'DENIED'`,
      [contact.email],
    );
    await until('the stale submissions deleted', async () =>
      (await submissionsOf(contact.email)).length === 1 ? true : undefined,
    );
    // The young one stays for its job; the old ones left nothing behind.
    expect(await submissionsOf(contact.email)).toEqual([{ status: 'DENIED' }]);
    expect(await server.sql('select id from consent_event where contact_id = $1', [contact.id])).toEqual([]);
    expect(
      await server.sql('select id from consent_confirmation where contact_id = $1', [contact.id]),
    ).toEqual([]);
    expect(await server.sql('select id from mail_outbox where recipient = $1', [contact.email])).toEqual([]);

    const lines = server.logs.filter((line) => line.includes(STALE));
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      level: 40,
      submissions: 2,
      granted: 1,
      denied: 0,
      withdrawn: 1,
    });
    const [local, domain] = contact.email.split('@') as [string, string];
    for (const secret of [contact.email, local, domain, contact.id]) expect(lines[0]).not.toContain(secret);

    // Idempotent: the sweeps after it find nothing more to delete, and say nothing more.
    await pause(2500);
    expect(await submissionsOf(contact.email)).toEqual([{ status: 'DENIED' }]);
    expect(server.logs.filter((line) => line.includes(STALE))).toHaveLength(1);
  });

  it('sweeps one instance at a time: while another holds the sweep’s lock nothing is deleted, then it is', async () => {
    const holder = new pg.Client({ connectionString: server.databaseOwnerUrl });
    await holder.connect();
    try {
      await holder.query('select pg_advisory_lock(hashtext($1))', [SWEEP_LOCK_KEY]);
      const now = Date.now();
      await server.sql("insert into rate_limit (key, points, expire) values ('locked:long-over', 1, $1)", [
        now - 2 * HOUR_MS,
      ]);
      const contact = await freshContact();
      expect((await post({ email: contact.email, purpose: 'marketing', status: 'DENIED' })).status).toBe(202);
      await server.sql(
        `update consent_submission set received_at = now() - interval '2 hours' where email = $1`,
        [contact.email],
      );
      await pause(3000); // three sweeps' time
      expect(await rateLimitKeys('locked')).toEqual(['locked:long-over']);
      expect(await submissionsOf(contact.email)).toEqual([{ status: 'DENIED' }]);

      await holder.query('select pg_advisory_unlock(hashtext($1))', [SWEEP_LOCK_KEY]);
      await until('the sweep after the lock', async () =>
        (await rateLimitKeys('locked')).length === 0 && (await submissionsOf(contact.email)).length === 0
          ? true
          : undefined,
      );
    } finally {
      await holder.end();
    }
  });
});

describe('CONSENT_SUBMISSION_MAX_AGE', () => {
  const dev = { production: false, dataDir: '/d' };
  const problems = (env: Record<string, string>) => {
    try {
      loadChannelSettings(env, dev);
      return [];
    } catch (error) {
      return (error as { problems: string[] }).problems;
    }
  };

  it('is 7 days unless set, takes a duration from 1 hour to 30 days, and names a bad one without repeating it', () => {
    expect(loadChannelSettings({}, dev).consent.submissionMaxAgeSeconds).toBe(7 * 86_400);
    expect(
      loadChannelSettings({ CONSENT_SUBMISSION_MAX_AGE: '1h' }, dev).consent.submissionMaxAgeSeconds,
    ).toBe(3600);
    expect(
      loadChannelSettings({ CONSENT_SUBMISSION_MAX_AGE: '30d' }, dev).consent.submissionMaxAgeSeconds,
    ).toBe(30 * 86_400);
    for (const bad of ['59m', '31d', 'a week', '-1d']) {
      const found = problems({ CONSENT_SUBMISSION_MAX_AGE: bad });
      expect(found.map((p) => p.split(':')[0])).toEqual(['CONSENT_SUBMISSION_MAX_AGE']);
      expect(found.join()).not.toContain(bad);
    }
  });
});
