import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { enqueueAuditEvent } from '@custos/audit';
import { query } from '@custos/database';
import type { JobHandler } from '@custos/jobs';
import {
  type ConsentStatus,
  GPC_REFUSED_PURPOSES,
  isPurpose,
  PURPOSE_DEFINITIONS,
  type Purpose,
} from '@custos/policy';
import type { Logger } from '@custos/runtime';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type pg from 'pg';
import type { SubgraphJobs } from '../jobs/queues.js';
import type { ConsentChannelSettings } from '../jobs/settings.js';
import { queueMail } from '../mail/mail.outbox.js';
import { appendConsentEvent, type ConsentEvidenceInput, type Recorder } from './consent.ledger.js';

/*
 * What a public consent form's post becomes, in the `consent.submission` job (never on the request path: the
 * endpoint answers before, and independently of, anyone being looked up).
 *
 * - DENIED and WITHDRAWN take effect at once for every live contact with that email, recorded as unverified
 *   public signals (withdrawing must be as easy as giving, Art 7(3)); a pending confirmation for the same purpose
 *   is cancelled with them. With Global Privacy Control, each purpose the policy's GPC_REFUSES marks is refused
 *   the same way, and a grant of such a purpose is not even offered for confirmation.
 * - GRANTED records nothing: each such contact gets a confirmation — a single-use link, mailed to the email on
 *   file, that expires (CONSENT_CONFIRM_TTL) — and the grant is recorded when the person opens it
 *   (consent.confirmations.ts). A pending link for the same contact and purpose younger than
 *   CONSENT_CONFIRM_RESEND_SECONDS means no second mail.
 * - The submission row (the typed address) is deleted in the same transaction: a retry finds nothing to do.
 * - One never acted on (no instance runs workers; its job a dead letter nobody re-drove) is deleted unacted on
 *   by the periodic sweep once older than CONSENT_SUBMISSION_MAX_AGE (deleteStaleSubmissions).
 */

/** Who recorded a choice made by the person themself. */
export const DATA_SUBJECT = 'data-subject';

/** What a public form posted, as the endpoint validated it. */
export interface Submission {
  readonly email: string;
  readonly purpose: Purpose;
  readonly status: Extract<ConsentStatus, 'GRANTED' | 'DENIED' | 'WITHDRAWN'>;
  readonly noticeVersion: string | null;
  readonly source: string | null;
  readonly userAgent: string | null;
  readonly ipHmac: string | null;
  readonly gpc: boolean;
  readonly receivedAt: Date;
  /** The HTTP request's id (X-Request-Id), for the audit event. */
  readonly requestId: string | null;
}

/**
 * Stores a validated submission and sends its job, on `em`'s transaction (call inside `em.transactional`): the
 * job carries the row's id only. Returns the id.
 */
export async function storeSubmission(
  em: EntityManager,
  jobs: SubgraphJobs,
  submission: Submission,
): Promise<string> {
  const id = randomUUID();
  await query(
    em,
    `insert into consent_submission (id, email, purpose, status, notice_version, source, user_agent, ip_hmac, gpc,
       received_at, request_id) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
    [
      id,
      submission.email,
      submission.purpose,
      submission.status,
      submission.noticeVersion,
      submission.source,
      submission.userAgent,
      submission.ipHmac,
      submission.gpc,
      submission.receivedAt,
      submission.requestId?.slice(0, 100) ?? null,
    ],
  );
  await jobs.send(
    'consent.submission',
    { submissionId: id },
    { db: { executeSql: async (text, values) => ({ rows: await query(em, text, values ?? []) }) } },
  );
  return id;
}

export interface SubmissionDeps {
  readonly orm: MikroORM;
  readonly jobs: SubgraphJobs;
  readonly hmacKey: Buffer;
  readonly controller: { readonly name: string; readonly contact: string };
  readonly settings: ConsentChannelSettings;
  /** The audit trail's service name, or undefined when the audit trail is off. */
  readonly auditService: string | undefined;
  readonly logger: Logger;
  /** The clock (tests). */
  readonly now?: () => Date;
}

interface SubmissionRow {
  email: string;
  purpose: string;
  status: Submission['status'];
  noticeVersion: string | null;
  source: string | null;
  userAgent: string | null;
  ipHmac: string | null;
  gpc: boolean;
  /** As the driver returns it (text through MikroORM's raw queries). */
  receivedAt: string | Date;
  requestId: string | null;
}

/** The public form's evidence of a submission, as the ledger takes it (the IP already a keyed HMAC). */
const evidenceOf = (row: Pick<SubmissionRow, 'source' | 'userAgent' | 'ipHmac'>): ConsentEvidenceInput => ({
  source: row.source,
  userAgent: row.userAgent,
  ipHmac: row.ipHmac,
});

/** The source a public grant's evidence names when the form named none. */
export const PUBLIC_FORM_SOURCE = 'public consent form';

/** A confirmation token: `<confirmation id>.<secret>`; only the secret's SHA-256 is stored. */
export function newToken(confirmationId: string): { token: string; hash: string } {
  const secret = randomBytes(32).toString('base64url');
  return { token: `${confirmationId}.${secret}`, hash: createHash('sha256').update(secret).digest('hex') };
}

/** `consent.submission`: acts on one stored submission (idempotent: a processed one is gone). */
export function submissionHandler(deps: SubmissionDeps): JobHandler<{ submissionId: string }> {
  return async ({ submissionId }) => {
    await processSubmission(deps, submissionId);
  };
}

/** What one submission did, for tests and logs: counts only, never who. */
export interface SubmissionOutcome {
  readonly found: boolean;
  readonly contacts: number;
  readonly events: number;
  readonly confirmationsMailed: number;
}

export async function processSubmission(
  deps: SubmissionDeps,
  submissionId: string,
): Promise<SubmissionOutcome> {
  const em = deps.orm.em.fork();
  const outcome = await em.transactional(async (tx) => {
    // Taken and deleted in one statement: a concurrent run of the same job waits for this transaction and then
    // finds nothing; should this one fail, the row is back with the rollback for the retry.
    const [row] = await query<SubmissionRow>(
      tx,
      `delete from consent_submission where id = $1
       returning email, purpose, status, notice_version as "noticeVersion", source, user_agent as "userAgent",
         ip_hmac as "ipHmac", gpc, received_at as "receivedAt", request_id as "requestId"`,
      [submissionId],
    );
    if (!row) return { found: false, contacts: 0, events: 0, confirmationsMailed: 0 };
    const now = deps.now?.() ?? new Date();
    // The purpose was checked by the endpoint; a policy that dropped it since makes the submission moot.
    const purpose = row.purpose;
    const receivedAt = new Date(row.receivedAt);
    if (!isPurpose(purpose)) return { found: true, contacts: 0, events: 0, confirmationsMailed: 0 };
    const contacts = await query<{ id: string; email: string }>(
      tx,
      'select id, email from contact where lower(email) = lower($1) and erased_at is null order by id',
      [row.email],
    );
    const recorder: Recorder = { purpose: null, actor: DATA_SUBJECT, hmacKey: deps.hmacKey, now };
    const unverified = { kind: 'UNVERIFIED_SIGNAL' as const, at: now };
    const refused: readonly Purpose[] = row.gpc ? GPC_REFUSED_PURPOSES : [];
    let events = 0;
    let mailed = 0;
    for (const contact of contacts) {
      if (row.status === 'GRANTED') {
        if (!(refused as string[]).includes(row.purpose) && row.noticeVersion) {
          mailed += (await offerConfirmation(tx, deps, contact, { ...row, purpose }, now)) ? 1 : 0;
        }
      } else {
        await appendConsentEvent(
          tx,
          {
            contactId: contact.id,
            purpose: row.purpose,
            status: row.status,
            method: 'WEB_FORM',
            noticeVersion: row.noticeVersion,
            capturedAt: receivedAt,
            evidence: evidenceOf(row),
            verification: unverified,
          },
          recorder,
        );
        events += 1;
        await cancelPending(tx, contact.id, row.purpose);
      }
      for (const purpose of refused) {
        await appendConsentEvent(
          tx,
          {
            contactId: contact.id,
            purpose,
            status: 'DENIED',
            method: 'GPC',
            capturedAt: receivedAt,
            evidence: evidenceOf(row),
            verification: unverified,
          },
          recorder,
        );
        events += 1;
        await cancelPending(tx, contact.id, purpose);
      }
    }
    if (contacts.length > 0) {
      await auditDataSubject(tx, deps.auditService, {
        now,
        operationName: row.gpc ? 'publicConsent+GPC' : 'publicConsent',
        endpoint: 'POST /public/consent',
        requestId: row.requestId ?? submissionId,
        contactIds: contacts.map(({ id }) => id),
      });
    }
    return { found: true, contacts: contacts.length, events, confirmationsMailed: mailed };
  });
  if (outcome.found) {
    deps.logger.info(
      { submissionId, events: outcome.events, confirmationsMailed: outcome.confirmationsMailed },
      'public consent processed',
    );
  }
  return outcome;
}

/**
 * The audit event of a data subject's own privacy operation, in the transaction that does it (the audit outbox):
 * the endpoint, the request and the contacts it changed. Nothing when the audit trail is off.
 */
export async function auditDataSubject(
  tx: EntityManager,
  service: string | undefined,
  event: {
    readonly now: Date;
    readonly operationName: string;
    readonly endpoint: string;
    readonly requestId: string;
    readonly contactIds: readonly string[];
  },
): Promise<void> {
  if (!service) return;
  await enqueueAuditEvent((sql, params) => query(tx, sql, params), service, {
    occurredAt: event.now,
    actorSub: DATA_SUBJECT,
    actorRoles: [],
    purpose: null,
    operationType: 'public',
    operationName: event.operationName,
    rootFields: [event.endpoint],
    requestId: event.requestId,
    gatewayRequestId: null,
    outcome: 'OK',
    subjects: new Map(
      event.contactIds.map((id) => [id, { channel: 'MUTATION' as const, revealed: 0, redacted: 0 }]),
    ),
  });
}

/** Cancels the pending confirmations of one contact and purpose (a later refusal or withdrawal wins). */
function cancelPending(tx: EntityManager, contactId: string, purpose: string) {
  return query(
    tx,
    "update consent_confirmation set state = 'cancelled' where contact_id = $1 and purpose = $2 and state = 'pending'",
    [contactId, purpose],
  );
}

/**
 * Creates a pending confirmation for one contact and mails its link to the contact's email on file, unless a
 * pending one younger than CONSENT_CONFIRM_RESEND_SECONDS exists. The contact's row is locked first, so that two
 * submissions for one person are decided one after the other. Returns whether a mail was queued.
 */
async function offerConfirmation(
  tx: EntityManager,
  deps: SubmissionDeps,
  contact: { readonly id: string; readonly email: string },
  row: SubmissionRow & { purpose: Purpose },
  now: Date,
): Promise<boolean> {
  const [live] = await query<{ id: string }>(
    tx,
    'select id from contact where id = $1 and erased_at is null for update',
    [contact.id],
  );
  if (!live) return false;
  const [recent] = await query<{ id: string }>(
    tx,
    `select id from consent_confirmation where contact_id = $1 and purpose = $2 and state = 'pending'
       and expires_at > $3 and requested_at > $3::timestamptz - make_interval(secs => $4::float8) limit 1`,
    [contact.id, row.purpose, now, deps.settings.resendSeconds],
  );
  if (recent) return false;
  const id = randomUUID();
  const { token, hash } = newToken(id);
  const expiresAt = new Date(now.getTime() + deps.settings.confirmTtlSeconds * 1000);
  const link = `${deps.settings.publicBaseUrl}/public/consent/confirm?token=${encodeURIComponent(token)}`;
  const outboxId = await queueMail(tx, deps.jobs, {
    template: 'consent_confirmation',
    to: contact.email,
    params: {
      controller: deps.controller,
      noticeVersion: row.noticeVersion ?? '',
      link,
      purpose: PURPOSE_DEFINITIONS[row.purpose].plainName,
      expiresAt: expiresAt.toISOString(),
    },
  });
  await query(
    tx,
    `insert into consent_confirmation (id, contact_id, purpose, notice_version, source, user_agent, ip_hmac,
       requested_at, expires_at, token_hash, attempts, state, outbox_id)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, 'pending', $11)`,
    [
      id,
      contact.id,
      row.purpose,
      row.noticeVersion,
      row.source ?? PUBLIC_FORM_SOURCE,
      row.userAgent,
      row.ipHmac,
      new Date(row.receivedAt),
      expiresAt,
      hash,
      outboxId,
    ],
  );
  return true;
}

/** How many stale submissions a sweep deleted, by what they asked for: counts only, never who. */
export interface StaleSubmissions {
  readonly deleted: number;
  readonly granted: number;
  readonly denied: number;
  readonly withdrawn: number;
}

/**
 * Deletes, unacted on, the submissions received more than `maxAgeSeconds` ago (CONSENT_SUBMISSION_MAX_AGE): the
 * typed address is not kept indefinitely because nothing processed it. Nothing is recorded and nothing mailed
 * for them — a choice that old is not acted on blind; the person can submit the form again. A submission its job
 * is acting on right now is left to the job. Idempotent; at most `limit` rows per call.
 */
export async function deleteStaleSubmissions(
  db: Pick<pg.ClientBase, 'query'>,
  maxAgeSeconds: number,
  limit = 10_000,
): Promise<StaleSubmissions> {
  const { rows } = await db.query<{ status: Submission['status'] }>(
    // No FOR UPDATE (the application role may not UPDATE this table): a row its job is deleting right now makes
    // this DELETE wait for that transaction and then skip the row, gone by then.
    `delete from consent_submission where id in (
       select id from consent_submission
        where received_at < clock_timestamp() - make_interval(secs => $1::float8)
        order by received_at limit $2)
     returning status`,
    [maxAgeSeconds, limit],
  );
  const count = (status: Submission['status']) => rows.filter((row) => row.status === status).length;
  return {
    deleted: rows.length,
    granted: count('GRANTED'),
    denied: count('DENIED'),
    withdrawn: count('WITHDRAWN'),
  };
}
