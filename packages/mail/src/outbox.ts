import { randomUUID } from 'node:crypto';
import { type Logger, ValidationError } from '@custos/runtime';
import pg from 'pg';
import { canonicalAddress } from './address.js';
import { checkMail, renderMail, type TemplateName, type TemplateParams } from './templates.js';
import { isOutboxId, type MailTransport } from './transports.js';

/**
 * The mail outbox (table `mail_outbox`). A message is inserted by the transaction that causes it — a consent
 * waiting for confirmation and its confirmation mail commit together or not at all — and sent later by a job
 * calling `deliver`, which is idempotent:
 *
 * 1. claim: one UPDATE moves the row from `queued` or `failed` (or from a `sending` whose claim is older than the
 *    lease: its worker died) to `sending` and counts the attempt; the attempt number is the claim's token;
 * 2. send through the transport, with the Message-ID derived from the row's id;
 * 3. record: one UPDATE, only if the row is still this attempt's, sets `sent`, the time and the message id — or
 *    `failed` with the error's NAME (never its message: an SMTP reply quotes the address).
 *
 * Run twice, it sends once: the second run finds the row `sent` (or `sending`, claimed: `busy`) and sends
 * nothing. What remains is the window between the transport's acceptance and step 3: a crash there leaves the
 * row `sending`, and once the lease has passed the next run sends again — at least once, as DESIGN.md states.
 * The capture transport writes the same file again (it is named by the outbox id), so the folder holds one
 * message; an SMTP relay gets a second copy with the same Message-ID, which receivers may drop as a duplicate
 * but need not. The outbox itself records one delivery.
 *
 * Once sent, the row's `params` are emptied: they hold the link and its single-use token, which nobody needs
 * after the message is out (GDPR Art 5(1)(c), Art 32). The subject, template, recipient and ids stay as the
 * record of what was sent to whom and when.
 */

/**
 * The table, as the Custos subgraph's migration `Migration20261207000000MailOutbox` creates it (and tests create
 * it from; the subgraph's entity `apps/subgraph/src/mail/mail-outbox.entity.ts` mirrors it, its schema test
 * compares the two). A migration runs once and must not change afterwards: change the table in a new migration,
 * with its own statements, and never edit these.
 */
export const MAIL_OUTBOX_DDL: readonly string[] = [
  `create table mail_outbox (
    id uuid not null,
    template varchar(64) not null,
    recipient varchar(254) not null,
    subject varchar(998) not null,
    params jsonb not null,
    status varchar(16) not null default 'queued' check (status in ('queued', 'sending', 'sent', 'failed')),
    attempts int not null default 0,
    transport_message_id varchar(255) null,
    server_message_id varchar(255) null,
    last_error varchar(64) null,
    created_at timestamptz(3) not null,
    claimed_at timestamptz(3) null,
    sent_at timestamptz(3) null,
    constraint mail_outbox_pkey primary key (id)
  );`,
  // What a sweep looks for: rows not yet sent, oldest first.
  `create index mail_outbox_unsent_idx on mail_outbox (created_at, id) where status <> 'sent';`,
];

/** Runs one parameterised statement on the caller's transaction connection (as `enqueueAuditEvent` takes it). */
export type RunSql = (sql: string, params: unknown[]) => Promise<unknown>;

export interface MailMessage<N extends TemplateName = TemplateName> {
  readonly template: N;
  /** The recipient's address; stored canonical (canonicalAddress, field `to`). */
  readonly to: string;
  readonly params: TemplateParams<N>;
}

/**
 * Inserts `message` into the outbox in the transaction `run` belongs to and returns its id — the id a job is
 * given, and the message's stable Message-ID. The message is rendered once here, so that a bad address or bad
 * params fail the caller's transaction rather than a job later (ValidationError, field and rule named).
 */
export async function enqueueMail<N extends TemplateName>(
  run: RunSql,
  message: MailMessage<N>,
): Promise<string> {
  const to = canonicalAddress(message.to, 'to');
  const checked = checkMail(message.template, message.params);
  const rendered = renderMail(checked.template, checked.params);
  const id = randomUUID();
  await run(
    `insert into mail_outbox (id, template, recipient, subject, params, status, attempts, created_at)
      values ($1, $2, $3, $4, $5::jsonb, 'queued', 0, clock_timestamp())`,
    [id, checked.template, to, rendered.subject, JSON.stringify(checked.params)],
  );
  return id;
}

export type DeliveryOutcome =
  | { readonly outcome: 'sent'; readonly attempt: number; readonly messageId: string }
  /** A previous run sent it (with this Message-ID): nothing was sent now. */
  | { readonly outcome: 'already_sent'; readonly messageId: string }
  /** Another worker holds a fresh claim on it: nothing was sent now; try again after the lease. */
  | { readonly outcome: 'busy' }
  | { readonly outcome: 'not_found' }
  /** This attempt failed; the row is `failed` with `error` as its last error. */
  | {
      readonly outcome: 'failed';
      readonly attempt: number;
      readonly error: string;
      /** Retrying the same message would fail the same way (a 5xx reply, a template that no longer parses). */
      readonly permanent: boolean;
    }
  /** Sent, but another worker had taken the row over (this one outlived its lease): that one records it. */
  | { readonly outcome: 'superseded'; readonly attempt: number };

export interface DeliverOptions {
  readonly logger?: Logger;
  /** How long a claim holds before another run may take the row over (default 5 minutes; > the send timeout). */
  readonly leaseMs?: number;
}

export const DEFAULT_LEASE_MS = 5 * 60_000;

/** A pool, or a URL for which one is opened and closed around the call. */
export type Database = pg.Pool | string;

interface ClaimedRow {
  template: string;
  recipient: string;
  subject: string;
  params: unknown;
  attempts: number;
}

/** The name of an error as stored and logged: nodemailer's code (`EAUTH`, `ECONNECTION`…) or the class name. */
export function errorName(error: unknown): string {
  const candidate =
    error instanceof ValidationError
      ? 'ValidationError'
      : typeof (error as { code?: unknown })?.code === 'string'
        ? (error as { code: string }).code
        : error instanceof Error
          ? error.name
          : 'Error';
  return /^[A-Za-z0-9_.-]{1,64}$/.test(candidate) ? candidate : 'Error';
}

function isPermanent(error: unknown): boolean {
  if (error instanceof ValidationError) return true;
  return (error as { permanent?: unknown })?.permanent === true;
}

async function claim(pool: pg.Pool, id: string, leaseMs: number): Promise<ClaimedRow | undefined> {
  const { rows } = await pool.query<ClaimedRow>(
    `update mail_outbox set status = 'sending', attempts = attempts + 1, claimed_at = clock_timestamp()
      where id = $1 and (status in ('queued', 'failed')
        or (status = 'sending' and claimed_at <= clock_timestamp() - make_interval(secs => $2::float8 / 1000)))
      returning template, recipient, subject, params, attempts`,
    [id, leaseMs],
  );
  return rows[0];
}

async function unclaimedOutcome(pool: pg.Pool, id: string): Promise<DeliveryOutcome> {
  const { rows } = await pool.query<{ status: string; message_id: string | null }>(
    'select status, transport_message_id as message_id from mail_outbox where id = $1',
    [id],
  );
  const [row] = rows;
  if (row === undefined) return { outcome: 'not_found' };
  return row.status === 'sent'
    ? { outcome: 'already_sent', messageId: row.message_id ?? '' }
    : { outcome: 'busy' };
}

/**
 * Delivers the outbox row `outboxId` through `transport`, at most once per successful run (see the module
 * comment for the crash window). Database errors are thrown (the job retries); a send or render failure is
 * recorded on the row and returned as `failed`, for the job to retry or give up on (`permanent`).
 */
export async function deliver(
  database: Database,
  outboxId: string,
  transport: MailTransport,
  options: DeliverOptions = {},
): Promise<DeliveryOutcome> {
  if (typeof database === 'string') {
    const pool = new pg.Pool({ connectionString: database, max: 1 });
    try {
      return await deliver(pool, outboxId, transport, options);
    } finally {
      await pool.end();
    }
  }
  const pool = database;
  if (!isOutboxId(outboxId)) return { outcome: 'not_found' };
  const log = (outcome: DeliveryOutcome, template: string | undefined) => {
    const fields = { outboxId, template, transport: transport.name, ...outcome };
    if (outcome.outcome === 'failed' || outcome.outcome === 'superseded')
      options.logger?.warn(fields, 'mail');
    else options.logger?.info(fields, 'mail');
  };
  const row = await claim(pool, outboxId, options.leaseMs ?? DEFAULT_LEASE_MS);
  if (!row) {
    const outcome = await unclaimedOutcome(pool, outboxId);
    log(outcome, undefined);
    return outcome;
  }
  const attempt = row.attempts;
  let sent: { messageId: string; serverMessageId?: string | undefined };
  try {
    const rendered = renderMail(row.template, row.params);
    sent = await transport.send({
      outboxId,
      template: row.template,
      to: { name: '', address: row.recipient },
      subject: row.subject,
      text: rendered.text,
      html: rendered.html,
      links: rendered.links,
    });
  } catch (error) {
    const outcome = {
      outcome: 'failed',
      attempt,
      error: errorName(error),
      permanent: isPermanent(error),
    } as const;
    await pool.query(
      `update mail_outbox set status = 'failed', last_error = $2
        where id = $1 and status = 'sending' and attempts = $3`,
      [outboxId, outcome.error, attempt],
    );
    log(outcome, row.template);
    return outcome;
  }
  const recorded = await pool.query(
    `update mail_outbox set status = 'sent', sent_at = clock_timestamp(), transport_message_id = $2,
        server_message_id = $3, last_error = null, params = '{}'::jsonb
      where id = $1 and status = 'sending' and attempts = $4`,
    [outboxId, sent.messageId.slice(0, 255), sent.serverMessageId?.slice(0, 255) ?? null, attempt],
  );
  const outcome: DeliveryOutcome =
    recorded.rowCount === 1
      ? { outcome: 'sent', attempt, messageId: sent.messageId }
      : { outcome: 'superseded', attempt };
  log(outcome, row.template);
  return outcome;
}

/** Rows not sent yet, oldest first: what a sweep hands to `deliver` (e.g. after jobs were lost). */
export async function undeliveredMail(pool: pg.Pool, limit = 100): Promise<string[]> {
  const { rows } = await pool.query<{ id: string }>(
    `select id from mail_outbox where status <> 'sent' order by created_at, id limit $1`,
    [limit],
  );
  return rows.map((row) => row.id);
}
