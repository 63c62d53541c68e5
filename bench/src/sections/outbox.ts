// The mail outbox's delivery rate: BENCH_OUTBOX_MESSAGES messages enqueued as the subgraph enqueues them (an outbox
// row and its `mail.deliver` job in one transaction), then delivered by the subgraph's own job workers to the
// capture transport (a temporary folder). Reported: messages sent per second, from the commit to the last row sent.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { JOBS_DEFAULTS } from '@custos/jobs';
import type { Run } from '../context.js';
import { openMailQueue } from '../custos.js';
import { deleteRowsAndJobs, queryRows, withClient } from '../database.js';
import { sleep } from '../loopback.js';
import { onCleanup } from '../processes.js';
import { printTable } from '../report.js';
import { custosServer, type ServerSpec, startServer } from '../servers.js';
import { measuredAlone } from './section.js';

/** The synthetic recipients, `bench-<n>@example.invalid` (RFC 2606: never a real domain). */
const RECIPIENT_LIKE = 'bench-%@example.invalid';
/** How long without a single row sent before the run gives up. */
const STALL_MS = 60_000;

/**
 * The subgraph outside production (NODE_ENV=test, the policy enforced): production refuses the capture folder, and
 * without SMTP_URL the folder is its only transport. Its job workers (JOBS_WORKERS=1) run in its process, with the
 * product's JOBS_CONCURRENCY and JOBS_POLL_MS unless the environment sets them; MAIL_CAPTURE_DIR comes at start.
 */
const spec = ((base: ServerSpec): ServerSpec => ({
  ...base,
  env: (context, upstreamPort) => ({
    ...base.env(context, upstreamPort),
    // Empty is unset: an SMTP_URL in the caller's environment must not turn the capture into a relay.
    SMTP_URL: '',
    JOBS_WORKERS: '1',
  }),
}))(
  custosServer('custos, job workers + capture transport (NODE_ENV=test)', {
    NODE_ENV: 'test',
    CUSTOS_POLICY_ALLOW_ALL: '0',
  }),
);

interface OutboxResult {
  readonly messages: number;
  readonly transport: 'capture';
  readonly jobs: { readonly concurrency: number; readonly pollMs: number; readonly workers: 1 };
  /**
   * JOBS_CONCURRENCY jobs per JOBS_POLL_MS: what the workers delivered while each of them waited the poll interval
   * after every fetch, a successful one included (packages/jobs before a worker that got a job fetched again at
   * once). Kept to compare: a backlog now drains at the speed of delivery, far above it.
   */
  readonly pollBoundPerSecond: number;
  /** Writing every row and job, in one transaction. */
  readonly enqueueSeconds: number;
  /** From the commit to the first row sent: the workers' pick-up (their poll). */
  readonly firstSentSeconds: number;
  /** From the commit to the last row sent. */
  readonly seconds: number;
  /** messages / seconds: the backlog's delivery rate, the workers' first pick-up included. */
  readonly messagesPerSecond: number;
  /** (messages - 1) / (last sent - first sent): the rate once the workers are busy. */
  readonly busyMessagesPerSecond: number;
  /** `.eml` files in the capture folder, one per outbox id. */
  readonly captured: number;
  readonly failed: number;
}

const jobsSetting = (name: string, fallback: number): number => {
  const raw = process.env[name]?.trim();
  return raw ? Number(raw) : fallback;
};

/** Deletes the bench's outbox rows and their jobs (as the owner of the bench database), so that reruns start alike. */
const clean = (run: Run): Promise<number> =>
  deleteRowsAndJobs(
    run.database.url,
    { table: 'mail_outbox', where: 'recipient like $1', values: [RECIPIENT_LIKE] },
    { queues: ['mail.deliver', 'mail.deliver.dead'], key: 'outboxId' },
  );

/** The message of recipient `n`: the one template there is, a consent confirmation with a link that leads nowhere. */
const message = (n: number, noticeVersion: string) =>
  ({
    template: 'consent_confirmation',
    to: `bench-${n}@example.invalid`,
    params: {
      controller: { name: 'Custos bench', contact: 'privacy@custos.invalid' },
      noticeVersion,
      link: `https://custos.invalid/bench/confirm/${n}`,
      purpose: 'marketing',
      expiresAt: '2099-01-01T00:00:00.000Z',
    },
  }) as const;

/**
 * Starts the subgraph with its workers and a fresh capture folder, opens the queue from here (send only), writes
 * every message and its job in one transaction, and polls `mail_outbox` until every row is `sent`. The bench's rows
 * and jobs are deleted before and after.
 */
async function measureOutbox(run: Run): Promise<OutboxResult> {
  const count = run.settings.outboxMessages;
  console.log(`\n== ${spec.label}: ${count} messages ==`);
  const leftover = await clean(run);
  if (leftover > 0) console.log(`outbox: deleted ${leftover} rows a previous run left`);
  const [pending] = await queryRows<{ n: number }>(
    run.database.url,
    "select count(*)::int as n from mail_outbox where status <> 'sent'",
  );
  if ((pending?.n ?? 0) > 0) {
    run.warnings.push(`outbox: ${pending?.n} other unsent rows were delivered alongside the bench's`);
  }
  const [notice] = await queryRows<{ version: string }>(
    run.database.url,
    'select version from privacy_notice order by published_at desc limit 1',
  );
  const captureDir = await mkdtemp(path.join(os.tmpdir(), 'custos-bench-outbox-'));
  onCleanup(() => rm(captureDir, { recursive: true, force: true }));
  const server = await startServer(run, 'outbox-delivery', run.database.appUrl, {
    MAIL_CAPTURE_DIR: captureDir,
  });
  try {
    const queue = await openMailQueue(run.database.appUrl);
    const ids: string[] = [];
    let committedAt: Date;
    let enqueueSeconds: number;
    try {
      ({ committedAt, enqueueSeconds } = await withClient(run.database.appUrl, async (client) => {
        const started = process.hrtime.bigint();
        await client.query('begin');
        for (let n = 0; n < count; n++)
          ids.push(await queue.enqueue(client, message(n, notice?.version ?? '')));
        await client.query('commit');
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        const { rows } = await client.query<{ at: Date }>('select clock_timestamp() as at');
        return { committedAt: rows[0]?.at ?? new Date(), enqueueSeconds: seconds };
      }));
    } finally {
      await queue.stop();
    }
    console.log(
      `outbox: ${count} messages and jobs enqueued in ${enqueueSeconds.toFixed(2)} s (one transaction)`,
    );
    let sent = 0;
    let failed = 0;
    let progressAt = Date.now();
    while (sent < count) {
      await sleep(100);
      const [state] = await queryRows<{ sent: number; failed: number }>(
        run.database.url,
        `select count(*) filter (where status = 'sent')::int as sent,
            count(*) filter (where status = 'failed')::int as failed
          from mail_outbox where id = any($1::uuid[])`,
        [ids],
      );
      failed = state?.failed ?? 0;
      if ((state?.sent ?? 0) > sent) progressAt = Date.now();
      sent = state?.sent ?? 0;
      if (Date.now() - progressAt > STALL_MS) {
        throw new Error(`outbox: ${sent} of ${count} sent, none for ${STALL_MS / 1000} s (${failed} failed)`);
      }
    }
    const [times] = await queryRows<{ first: number; last: number }>(
      run.database.url,
      `select extract(epoch from min(sent_at) - $2::timestamptz)::float8 as first,
          extract(epoch from max(sent_at) - $2::timestamptz)::float8 as last
        from mail_outbox where id = any($1::uuid[])`,
      [ids, committedAt],
    );
    const seconds = times?.last ?? 0;
    const busy = seconds - (times?.first ?? 0);
    const files = new Set(await readdir(captureDir));
    const captured = ids.filter((id) => files.has(`${id.toLowerCase()}.eml`)).length;
    const emlFiles = [...files].filter((file) => file.endsWith('.eml')).length;
    if (captured !== count || emlFiles !== count) {
      run.warnings.push(`outbox: ${emlFiles} .eml files captured (${captured} of the bench's ${count} ids)`);
    }
    const concurrency = jobsSetting('JOBS_CONCURRENCY', JOBS_DEFAULTS.concurrency);
    const pollMs = jobsSetting('JOBS_POLL_MS', JOBS_DEFAULTS.pollMs);
    const result: OutboxResult = {
      messages: count,
      transport: 'capture',
      jobs: { concurrency, pollMs, workers: 1 },
      pollBoundPerSecond: Math.round((concurrency * 1000) / pollMs),
      enqueueSeconds: Math.round(enqueueSeconds * 100) / 100,
      firstSentSeconds: Math.round((times?.first ?? 0) * 100) / 100,
      seconds: Math.round(seconds * 100) / 100,
      messagesPerSecond: seconds > 0 ? Math.round(count / seconds) : 0,
      busyMessagesPerSecond: busy > 0 ? Math.round((count - 1) / busy) : 0,
      captured: emlFiles,
      failed,
    };
    return result;
  } finally {
    await server.stop();
    const deleted = await clean(run);
    console.log(`outbox: deleted the bench's ${deleted} rows and their jobs`);
  }
}

function print(result: OutboxResult): void {
  console.log('');
  console.log(
    `Mail outbox: messages delivered by the subgraph's job workers to the capture transport ` +
      `(JOBS_CONCURRENCY=${result.jobs.concurrency}, JOBS_POLL_MS=${result.jobs.pollMs}: ` +
      `${result.pollBoundPerSecond}/s were each worker to wait a poll after each job)`,
  );
  printTable(
    [
      'messages',
      'enqueued s',
      'first sent s',
      'all sent s',
      'messages/s',
      'busy msg/s',
      'captured',
      'failed',
    ],
    [
      [
        result.messages,
        result.enqueueSeconds,
        result.firstSentSeconds,
        result.seconds,
        result.messagesPerSecond,
        result.busyMessagesPerSecond,
        result.captured,
        result.failed,
      ].map((value) => value.toLocaleString('en-US')),
    ],
    0,
  );
}

export const outbox = measuredAlone({
  name: 'outbox-delivery',
  spec,
  key: 'outbox',
  measure: measureOutbox,
  print,
});
