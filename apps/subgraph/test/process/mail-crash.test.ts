import type { ChildProcess } from 'node:child_process';
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
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SUBGRAPH_QUEUES } from '../../src/jobs/queues.js';
import { confirmation, until } from '../support/mail.js';
import { ended, type ProcessDatabase, processDatabase } from '../support/process.js';

/**
 * The process that runs a mail job is killed (SIGKILL) in the middle of the send: the SMTP server has the message
 * but has not answered its DATA yet. After a restart the job is picked up again (its heartbeat lapsed), the
 * outbox row's claim is taken over once its lease (MAIL_LEASE_SECONDS) has passed, and the message is delivered:
 * the SMTP server completes exactly one message, and the outbox records it once, as attempt 2.
 */
const root = fileURLToPath(new URL('../../../../', import.meta.url));
const main = path.join(root, 'apps/subgraph/dist/main.js');

let fixture: ProcessDatabase;

/** What the SMTP server saw: DATA commands begun, and messages it accepted (answered 250). */
const begun: string[][] = [];
const completed: { rcptTo: string[]; raw: Buffer }[] = [];
let smtp: SMTPServer;
let smtpPort: number;

beforeAll(async () => {
  if (!existsSync(main)) throw new Error('apps/subgraph is not built: run `npm test` (it builds first)');
  fixture = await processDatabase(inject('adminUrl'), 'custos-mail-crash-');
  // The first DATA stalls: the message is read, but never answered, so the sender waits mid-send.
  smtp = new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    logger: false,
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
};

/** The built subgraph on a free port, mailing through the test's SMTP server. */
async function startProcess(): Promise<ChildProcess> {
  const port = await freePort();
  return fixture.start(main, port, { SMTP_URL: `smtp://127.0.0.1:${smtpPort}`, ...SETTINGS });
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
    const crashing = await startProcess();
    const to = 'jane.doe@example.com';
    const { outboxId, jobId } = await enqueue(to);

    // The worker claimed the row and the SMTP server is receiving the message: kill the process there.
    await until(
      'the SMTP server to receive the message',
      () => (begun.length === 1 ? true : undefined),
      30_000,
    );
    expect(await outboxRow(outboxId)).toEqual({ status: 'sending', attempts: 1, transport_message_id: null });
    crashing.kill('SIGKILL');
    expect(await ended(crashing)).toEqual({ code: null, signal: 'SIGKILL' });

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

    const restarted = await startProcess();
    const row = await until(
      'the outbox row sent after the restart',
      async () => {
        const current = await outboxRow(outboxId);
        return current?.status === 'sent' ? current : undefined;
      },
      60_000,
    );
    // The SMTP server completed exactly one message: to the recipient, with the outbox's Message-ID.
    expect(completed).toHaveLength(1);
    expect(begun).toEqual([[to], [to]]);
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
    // The job that the killed process held completed in the restarted one, on a retry.
    const [job] = (
      await fixture.db.query<{ state: string; retry_count: number }>(
        'select state, retry_count from pgboss.job where id = $1',
        [jobId],
      )
    ).rows;
    expect(job?.state).toBe('completed');
    expect(job?.retry_count).toBeGreaterThanOrEqual(1);

    // No second message arrives: longer than a lease, several polls and supervision passes.
    await new Promise((resolve) => setTimeout(resolve, 13_000));
    expect(completed).toHaveLength(1);
    expect(begun).toHaveLength(2);
    expect(await outboxRow(outboxId)).toEqual(row);
    expect(await captured()).toEqual([`${outboxId}.eml`, `${outboxId}.json`]);

    restarted.kill('SIGTERM');
    expect(await ended(restarted)).toEqual({ code: 0, signal: null });
  }, 180_000);
});
