import { createHash, timingSafeEqual } from 'node:crypto';
import { query } from '@custos/database';
import { type MailAddress, messageIdFor } from '@custos/mail';
import { isPurpose, PURPOSE_DEFINITIONS, type Purpose } from '@custos/policy';
import { isUuid } from '@custos/runtime';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { appendConsentEvent, type Recorder } from './consent.ledger.js';
import { auditDataSubject, DATA_SUBJECT } from './consent.submissions.js';

/*
 * The second half of the double opt-in: the person opens the single-use link mailed to the address on file, and
 * the grant is recorded then, naming the confirmation as its evidence (method, time, the mail's Message-ID).
 * The Message-ID is the outbox's record of the message when it has one, else the one the row is always sent with
 * (packages/mail `messageIdFor`): a person can open the link before the outbox records `sent` (a crash between
 * the relay's acceptance and that record), and the receipt must name the message all the same.
 *
 * A token is `<confirmation id>.<secret>`. The id finds the row; the secret is checked against the stored SHA-256
 * with a constant-time comparison, so that how long a wrong secret takes says nothing about the right one. Every
 * wrong secret counts against the row, which locks after CONSENT_CONFIRM_MAX_ATTEMPTS. A link opened (GET) only
 * shows what it would confirm; the confirmation is the form's POST, so that a mail scanner following links
 * confirms nothing.
 */

export type TokenState =
  /** Confirmable: GET shows the page, POST records the grant. */
  | 'pending'
  /** Just recorded by this POST. */
  | 'confirmed'
  /** Already used (by an earlier POST). */
  | 'used'
  | 'expired'
  /** A later refusal or withdrawal from the form cancelled it, or the person's record is no longer live. */
  | 'cancelled'
  /** Too many wrong tokens. */
  | 'locked'
  /** Malformed, or no such confirmation, or a wrong secret. */
  | 'unknown';

export interface TokenCheck {
  readonly state: TokenState;
  /** The purpose, as the person should read it: only for a pending or just confirmed token. */
  readonly purpose?: { readonly id: Purpose; readonly plainName: string };
}

export interface ConfirmationDeps {
  readonly orm: MikroORM;
  readonly hmacKey: Buffer;
  readonly maxAttempts: number;
  readonly auditService: string | undefined;
  /** MAIL_FROM: its domain is the right part of every Message-ID the outbox sends (`messageIdFor`). */
  readonly mailFrom: MailAddress;
}

const SECRET = /^[A-Za-z0-9_-]{43}$/;

/** Splits a token into id and secret, or undefined when it cannot be one. */
function parseToken(token: unknown): { id: string; secret: string } | undefined {
  if (typeof token !== 'string' || token.length > 100) return undefined;
  const [id, secret, ...rest] = token.split('.');
  if (rest.length > 0 || id === undefined || secret === undefined) return undefined;
  return isUuid(id) && SECRET.test(secret) ? { id, secret } : undefined;
}

const sameSecret = (secret: string, storedHash: string): boolean =>
  timingSafeEqual(createHash('sha256').update(secret).digest(), Buffer.from(storedHash, 'hex'));

interface ConfirmationRow {
  contactId: string;
  purpose: string;
  noticeVersion: string;
  source: string | null;
  userAgent: string | null;
  ipHmac: string | null;
  /** Timestamps as the driver returns them (text through MikroORM's raw queries). */
  requestedAt: string | Date;
  expiresAt: string | Date;
  tokenHash: string;
  attempts: number;
  state: 'pending' | 'confirmed' | 'cancelled' | 'locked';
  outboxId: string | null;
  live: boolean;
}

/**
 * Checks `token` and, with `confirm`, records the grant. One transaction that locks the confirmation row: two
 * POSTs of one link record one grant, the second answers `used`. A wrong secret is counted (and committed) even
 * though nothing else is written.
 */
export async function checkToken(
  deps: ConfirmationDeps,
  token: unknown,
  options: { readonly confirm: boolean; readonly now: Date; readonly requestId: string },
): Promise<TokenCheck> {
  const parsed = parseToken(token);
  if (!parsed) return { state: 'unknown' };
  const em = deps.orm.em.fork();
  return em.transactional(async (tx) => {
    const [row] = await query<ConfirmationRow>(
      tx,
      `select f.contact_id as "contactId", f.purpose, f.notice_version as "noticeVersion", f.source,
         f.user_agent as "userAgent", f.ip_hmac as "ipHmac", f.requested_at as "requestedAt",
         f.expires_at as "expiresAt", f.token_hash as "tokenHash", f.attempts, f.state, f.outbox_id as "outboxId",
         (c.erased_at is null) as live
       from consent_confirmation f join contact c on c.id = f.contact_id where f.id = $1 for update of f`,
      [parsed.id],
    );
    if (!row) return { state: 'unknown' };
    if (row.state === 'locked') return { state: 'locked' };
    if (!sameSecret(parsed.secret, row.tokenHash)) {
      const attempts = row.attempts + 1;
      await query(tx, 'update consent_confirmation set attempts = $2, state = $3 where id = $1', [
        parsed.id,
        attempts,
        attempts >= deps.maxAttempts && row.state === 'pending' ? 'locked' : row.state,
      ]);
      return { state: 'unknown' };
    }
    if (row.state === 'confirmed') return { state: 'used' };
    if (row.state === 'cancelled' || !row.live || !isPurpose(row.purpose)) return { state: 'cancelled' };
    if (new Date(row.expiresAt).getTime() <= options.now.getTime()) return { state: 'expired' };
    const purpose = { id: row.purpose, plainName: PURPOSE_DEFINITIONS[row.purpose].plainName };
    if (!options.confirm) return { state: 'pending', purpose };
    await recordConfirmedGrant(tx, deps, parsed.id, row, options);
    return { state: 'confirmed', purpose };
  });
}

async function recordConfirmedGrant(
  tx: EntityManager,
  deps: ConfirmationDeps,
  confirmationId: string,
  row: ConfirmationRow,
  options: { readonly now: Date; readonly requestId: string },
): Promise<void> {
  const { now } = options;
  const recorded = row.outboxId
    ? await query<{ messageId: string | null }>(
        tx,
        'select transport_message_id as "messageId" from mail_outbox where id = $1',
        [row.outboxId],
      )
    : [];
  // The link was opened, so its message was sent — with the Message-ID fixed for its outbox row, whether or not
  // the outbox has recorded it yet. What the outbox recorded wins (the message as sent, should MAIL_FROM have
  // changed since).
  const messageId =
    recorded[0]?.messageId ?? (row.outboxId ? messageIdFor(row.outboxId, deps.mailFrom) : null);
  const recorder: Recorder = { purpose: null, actor: DATA_SUBJECT, hmacKey: deps.hmacKey, now };
  const eventId = await appendConsentEvent(
    tx,
    {
      contactId: row.contactId,
      purpose: row.purpose,
      status: 'GRANTED',
      method: 'WEB_FORM',
      noticeVersion: row.noticeVersion,
      capturedAt: new Date(row.requestedAt),
      evidence: { source: row.source, userAgent: row.userAgent, ipHmac: row.ipHmac },
      verification: { kind: 'EMAIL_CONFIRMATION', at: now, ref: messageId },
    },
    recorder,
  );
  await query(
    tx,
    `update consent_confirmation set state = 'confirmed', confirmed_at = $2, event_id = $3 where id = $1`,
    [confirmationId, now, eventId],
  );
  await auditDataSubject(tx, deps.auditService, {
    now,
    operationName: 'confirmConsent',
    endpoint: 'POST /public/consent/confirm',
    requestId: options.requestId,
    contactIds: [row.contactId],
  });
}
