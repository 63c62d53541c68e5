import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@custos/database';
import { clientDb, createJobQueue, loadJobsConfig } from '@custos/jobs';
import { enqueueMail } from '@custos/mail';
import { createLogger } from '@custos/runtime';
import { simpleParser } from 'mailparser';
import pg from 'pg';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { SUBGRAPH_QUEUES } from '../../src/jobs/queues.js';
import { confirmation, until } from '../support/mail.js';
import { ended, type ProcessDatabase, processDatabase } from '../support/process.js';

/**
 * The process that runs a mail job is killed (SIGKILL) in the middle of the send: the SMTP server has the message
 * but has not answered its DATA yet. After a restart the job is picked up again (its heartbeat lapsed), the
 * outbox row's claim is taken over once its lease (MAIL_LEASE_SECONDS) has passed, and the message is delivered:
 * the SMTP server completes exactly one message, and the outbox records it once, as attempt 2. The same holds for
 * the confirmation mail of a public grant (double opt-in), and its link then records the grant once.
 */
const root = fileURLToPath(new URL('../../../../', import.meta.url));
const main = path.join(root, 'apps/subgraph/dist/main.js');

let fixture: ProcessDatabase;

/** What the SMTP server saw in the current test: DATA commands begun, and messages it accepted (answered 250). */
const begun: string[][] = [];
const completed: { rcptTo: string[]; raw: Buffer }[] = [];
let smtp: SMTPServer;
let smtpPort: number;

beforeAll(async () => {
  if (!existsSync(main)) throw new Error('apps/subgraph is not built: run `npm test` (it builds first)');
  fixture = await processDatabase(inject('adminUrl'), 'custos-mail-crash-');
  smtp = new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    logger: false,
    // The first DATA of each test stalls: the message is read, but never answered, so the sender waits mid-send.
    onData(stream, session, callback) {
      const rcptTo = session.envelope.rcptTo.map((rcpt) => rcpt.address);
      begun.push(rcptTo);
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      if (begun.length === 1) return;
      stream.on('end', () => {
        completed.push({ rcptTo, raw: Buffer.concat(chunks) });
        callback();
      });
    },
  });
  // The stalled connection breaks when its client is killed: not an error of the run.
  smtp.on('error', () => {});
  smtpPort = await freePort();
  await new Promise<void>((resolve) => smtp.listen(smtpPort, '127.0.0.1', resolve));
});

beforeEach(() => {
  begun.length = 0;
  completed.length = 0;
});

afterAll(async () => {
  await fixture?.drop();
  await new Promise<void>((resolve) => (smtp ? smtp.close(() => resolve()) : resolve()));
});

/**
 * Short settings: a job whose worker died is failed after 10 s without a heartbeat (pg-boss' least), looked for
 * every second, retried a second or two later; a claim on an outbox row holds 12 s, longer than a send may take
 * (SMTP_TIMEOUT_MS 10 s: the stalled DATA must outlast the time the test takes to kill the process).
 */
const SETTINGS = {
  SMTP_TIMEOUT_MS: '10000',
  MAIL_LEASE_SECONDS: '12',
  JOBS_HEARTBEAT_SECONDS: '10',
  JOBS_SUPERVISE_SECONDS: '1',
  JOBS_POLL_MS: '500',
  JOBS_RETRY_DELAY_SECONDS: '1',
  JOBS_RETRY_DELAY_MAX_SECONDS: '2',
  PUBLIC_RATE_LIMIT_PER_MINUTE: '100000',
};

/** Where a process started on `port` is reached: also its PUBLIC_BASE_URL, the start of its mailed links. */
const baseUrl = (port: number) => `http://127.0.0.1:${port}`;

/** The built subgraph on `port`, mailing through the test's SMTP server. */
function startProcess(port: number): Promise<ChildProcess> {
  return fixture.start(main, port, {
    SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
    PUBLIC_BASE_URL: baseUrl(port),
    ...SETTINGS,
  });
}

/** Waits until the SMTP server has begun receiving the first message, then kills `child` there (SIGKILL). */
async function killMidSend(child: ChildProcess, outboxId: () => Promise<string | undefined> | string) {
  await until(
    'the SMTP server to receive the message',
    () => (begun.length === 1 ? true : undefined),
    30_000,
  );
  const id = await outboxId();
  expect(id).toBeDefined();
  expect(await outboxRow(id!)).toEqual({ status: 'sending', attempts: 1, transport_message_id: null });
  child.kill('SIGKILL');
  expect(await ended(child)).toEqual({ code: null, signal: 'SIGKILL' });
  return id!;
}

/**
 * Restarts the subgraph on `port` and waits for the killed send to be delivered: the SMTP server completed exactly
 * one message (its second DATA), to `to` alone by envelope and header, with the outbox's Message-ID; the outbox
 * records it as sent, on attempt 2. Returns the process, the row and the parsed message.
 */
async function restartAndDeliver(port: number, outboxId: string, to: string) {
  const restarted = await startProcess(port);
  const row = await until(
    'the outbox row sent after the restart',
    async () => {
      const current = await outboxRow(outboxId);
      return current?.status === 'sent' ? current : undefined;
    },
    60_000,
  );
  expect(begun).toEqual([[to], [to]]);
  expect(completed).toHaveLength(1);
  expect(completed[0]!.rcptTo).toEqual([to]);
  const parsed = await simpleParser(completed[0]!.raw);
  const recipients = (Array.isArray(parsed.to) ? parsed.to : [parsed.to]).flatMap(
    (list) => list?.value.map((address) => address.address) ?? [],
  );
  expect(recipients).toEqual([to]);
  expect(row).toEqual({
    status: 'sent',
    attempts: 2,
    transport_message_id: `<${outboxId}@custos.invalid>`,
  });
  expect(parsed.messageId).toBe(row.transport_message_id);
  return { restarted, row, parsed };
}

/** No second message arrives: longer than a lease, several polls and supervision passes. */
async function nothingMore(outboxId: string, row: Awaited<ReturnType<typeof outboxRow>>) {
  await new Promise((resolve) => setTimeout(resolve, 13_000));
  expect(completed).toHaveLength(1);
  expect(begun).toHaveLength(2);
  expect(await outboxRow(outboxId)).toEqual(row);
}

const outboxRow = async (id: string) =>
  (
    await fixture.db.query<{ status: string; attempts: number; transport_message_id: string | null }>(
      'select status, attempts, transport_message_id from mail_outbox where id = $1',
      [id],
    )
  ).rows[0];

const captured = async () =>
  (await readdir(path.join(fixture.dataDir, 'outbox')).catch(() => [] as string[])).sort();

/** One message and its mail.deliver job in one transaction of the application role, as a feature writes them. */
async function enqueue(to: string): Promise<{ outboxId: string; jobId: string }> {
  const jobs = await createJobQueue({
    url: fixture.urls.appUrl,
    queues: SUBGRAPH_QUEUES,
    config: loadJobsConfig({ JOBS_WORKERS: '0' }),
    logger: createLogger('silent'),
    name: 'mail-crash-test',
  });
  const client = new pg.Client({ connectionString: fixture.urls.appUrl });
  await client.connect();
  try {
    await client.query('begin');
    const outboxId = await enqueueMail((sql, params) => client.query(sql, params), confirmation(to));
    const jobId = await jobs.send('mail.deliver', { outboxId }, { db: clientDb(client) });
    await client.query('commit');
    return { outboxId, jobId };
  } finally {
    await client.end();
    await jobs.stop();
  }
}

describe('a mail job whose process is killed in the middle of the send', () => {
  it('is sent exactly once after a restart, and the outbox records it once', async () => {
    const crashing = await startProcess(await freePort());
    const to = 'jane.doe@example.com';
    const { outboxId, jobId } = await enqueue(to);

    // The worker claimed the row and the SMTP server is receiving the message: kill the process there.
    await killMidSend(crashing, () => outboxId);

    // Nothing was completed before the restart: the server accepted no message, the row is still claimed by
    // the dead attempt, nothing was captured, and the job is still active (its heartbeat has not lapsed yet).
    expect(completed).toEqual([]);
    expect(begun).toEqual([[to]]);
    expect(await outboxRow(outboxId)).toEqual({ status: 'sending', attempts: 1, transport_message_id: null });
    expect(await captured()).toEqual([]);
    const [before] = (
      await fixture.db.query<{ state: string }>('select state from pgboss.job where id = $1', [jobId])
    ).rows;
    expect(before).toEqual({ state: 'active' });

    // The send the killed process began is delivered once by the restarted one.
    const { restarted, row } = await restartAndDeliver(await freePort(), outboxId, to);
    // The job that the killed process held completed in the restarted one, on a retry.
    const [job] = (
      await fixture.db.query<{ state: string; retry_count: number }>(
        'select state, retry_count from pgboss.job where id = $1',
        [jobId],
      )
    ).rows;
    expect(job?.state).toBe('completed');
    expect(job?.retry_count).toBeGreaterThanOrEqual(1);

    await nothingMore(outboxId, row);
    expect(await captured()).toEqual([`${outboxId}.eml`, `${outboxId}.json`]);

    restarted.kill('SIGTERM');
    expect(await ended(restarted)).toEqual({ code: 0, signal: null });
  }, 180_000);

  it("sends a public grant's confirmation exactly once, and its link records the grant once", async () => {
    const [contact] = (
      await fixture.db.query<{ id: string; email: string }>(
        `insert into contact (id, full_name, email, created_at, updated_at)
         values (gen_random_uuid(), 'Form Person', 'form.person@example.org', now(), now()) returning id, email`,
      )
    ).rows;
    const email = contact!.email;
    // Both processes listen on one port, the PUBLIC_BASE_URL of both: the mailed link reaches the restarted one.
    const port = await freePort();
    const base = baseUrl(port);
    const crashing = await startProcess(port);
    const submitted = await fetch(`${base}/public/consent`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        email,
        purpose: 'sale_share',
        status: 'GRANTED',
        noticeVersion: '2026-01',
        source: 'partner-offers-form',
      }),
    });
    expect(submitted.status).toBe(202);

    // The submission's job queued the confirmation mail; its delivery is mid-DATA: kill the process there.
    const confirmations = async () =>
      (
        await fixture.db.query<{ id: string; state: string; token_hash: string; outbox_id: string }>(
          'select id, state, token_hash, outbox_id from consent_confirmation where contact_id = $1',
          [contact!.id],
        )
      ).rows;
    const events = async () =>
      (
        await fixture.db.query<{
          purpose: string;
          status: string;
          verification: string;
          verification_ref: string;
        }>(
          `select purpose, status, verification, verification_ref from consent_event where contact_id = $1
           order by seq`,
          [contact!.id],
        )
      ).rows;
    const outboxId = await killMidSend(crashing, async () => (await confirmations())[0]?.outbox_id);

    // Nothing was completed before the restart: no message accepted, no grant recorded, the row still claimed,
    // the one confirmation still pending.
    expect(completed).toEqual([]);
    expect(begun).toEqual([[email]]);
    expect(await events()).toEqual([]);
    expect(await outboxRow(outboxId)).toEqual({ status: 'sending', attempts: 1, transport_message_id: null });
    const offered = await confirmations();
    expect(offered).toEqual([
      {
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        state: 'pending',
        token_hash: expect.stringMatching(/^[0-9a-f]{64}$/),
        outbox_id: outboxId,
      },
    ]);
    const pending = offered[0]!;

    // The confirmation mail the killed process began is delivered once by the restarted one.
    const { restarted, row, parsed } = await restartAndDeliver(port, outboxId, email);
    // One confirmation, and its link in the mail's text: this confirmation's id and the secret whose hash it keeps.
    expect(await confirmations()).toEqual(offered);
    const links = parsed.text?.match(/https?:\/\/\S+/g) ?? [];
    expect(links).toHaveLength(1);
    const link = new URL(links[0]!);
    expect(`${link.origin}${link.pathname}`).toBe(`${base}/public/consent/confirm`);
    const token = link.searchParams.get('token') ?? '';
    const [id, secret] = token.split('.');
    expect(id).toBe(pending.id);
    expect(createHash('sha256').update(secret!).digest('hex')).toBe(pending.token_hash);

    const confirm = () =>
      fetch(`${link.origin}${link.pathname}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token }).toString(),
      });
    expect((await confirm()).status).toBe(200);
    const granted = [
      {
        purpose: 'sale_share',
        status: 'GRANTED',
        verification: 'EMAIL_CONFIRMATION',
        verification_ref: `<${outboxId}@custos.invalid>`,
      },
    ];
    expect(await events()).toEqual(granted);
    expect(await confirmations()).toEqual([{ ...pending, state: 'confirmed' }]);
    // The link is single-use: a second confirmation is refused and records nothing.
    expect((await confirm()).status).toBe(410);
    expect(await events()).toEqual(granted);

    await nothingMore(outboxId, row);
    expect(await events()).toEqual(granted);
    restarted.kill('SIGTERM');
    expect(await ended(restarted)).toEqual({ code: 0, signal: null });
  }, 180_000);
});
