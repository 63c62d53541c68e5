import { createHash, createHmac, randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import { isoTimestamp, query } from '@custos/database';
import { visibleContactState } from '@custos/enforcement';
import {
  CONSENT_BIT,
  CONSENT_METHODS,
  CONSENT_STATUSES,
  type ConsentMethod,
  type ConsentStatus,
  type ConsentVerification,
  consentStatusProblem,
  isPurpose,
  type Purpose,
} from '@custos/policy';
import { NotFoundError, Validator } from '@custos/runtime';
import type { EntityManager } from '@mikro-orm/postgresql';
import { isVersion } from './notice.service.js';

/*
 * The consent ledger: recording a person's choices as events chained per contact (`eventHash`), the current
 * state per contact and purpose (consent_state, and the consent bits on the contact row) that follows it in the
 * same transaction, and the sensitive-data limit. Receipts (consent.receipts.ts), the CSV import
 * (consent.import.ts) and the ledger's verification (consent.verify.ts) build on it.
 */

/** One consent ledger event as the API serves it (no evidence: that names the person, see consent_evidence). */
export interface ConsentEventRow {
  readonly id: string;
  readonly contactId: string;
  readonly seq: number;
  readonly purpose: string;
  readonly status: ConsentStatus;
  readonly method: ConsentMethod;
  readonly noticeVersion: string | null;
  readonly capturedAt: string;
  readonly recordedAt: string;
  readonly recordedBy: string;
  /** How the choice was verified (EMAIL_CONFIRMATION, UNVERIFIED_SIGNAL); null: recorded by staff. */
  readonly verification: ConsentVerification | null;
  readonly verifiedAt: string | null;
  /** EMAIL_CONFIRMATION: the Message-ID of the confirmation mail the person answered. */
  readonly verificationRef: string | null;
  readonly prevHash: string | null;
  readonly hash: string;
}

export const EVENT_COLUMNS = `e.id, e.contact_id as "contactId", e.seq, e.purpose, e.status, e.method,
  e.notice_version as "noticeVersion", ${isoTimestamp('e.captured_at', 'capturedAt')},
  ${isoTimestamp('e.recorded_at', 'recordedAt')}, e.recorded_by as "recordedBy", e.verification,
  ${isoTimestamp('e.verified_at', 'verifiedAt')}, e.verification_ref as "verificationRef",
  e.prev_hash as "prevHash", e.hash`;

export interface ConsentEvidenceInput {
  /** Where the choice was made: a form's name or URL, a mailbox, a call reference. */
  readonly source?: string | null;
  readonly userAgent?: string | null;
  /** Kept only as a keyed HMAC (GDPR Art 32): proves the same address later without storing it. */
  readonly ip?: string | null;
  /** The HMAC itself, when it was taken earlier (a public form's post, confirmed later): `ip` is then unset. */
  readonly ipHmac?: string | null;
}

/** How the person's choice was verified (see CONSENT_VERIFICATIONS); part of the event's hash. */
export interface EventVerification {
  readonly kind: ConsentVerification;
  readonly at: Date;
  /** EMAIL_CONFIRMATION: the confirmation mail's Message-ID. */
  readonly ref?: string | null;
}

export interface ConsentEventInput {
  readonly contactId: string;
  readonly purpose: string;
  readonly status: ConsentStatus;
  readonly method: ConsentMethod;
  readonly noticeVersion?: string | null;
  /** When the person made the choice; defaults to now, never in the future. */
  readonly capturedAt?: Date | null;
  readonly evidence?: ConsentEvidenceInput | null;
  /** Set by the public paths only; staff record without (their evidence is the source). */
  readonly verification?: EventVerification | null;
}

export interface Recorder {
  /**
   * The caller's declared purpose: the contact must be a row it may see. Null: the data subject recording their
   * own choice (public endpoint), on their own live record.
   */
  readonly purpose: Purpose | null;
  /** Who recorded it (the token's subject). */
  readonly actor: string;
  readonly hmacKey: Buffer;
  readonly now: Date;
}

/**
 * Sets the contact's consent bits for one purpose to a status ($1 contact id, $2 the purpose's bit, $3 status):
 * GRANTED sets the bit in consent_granted, OBJECTED in consent_objected, any other status clears both.
 */
export const SET_CONSENT_BITS = `update contact set
  consent_granted = ((consent_granted & ~$2::smallint) | (case when $3 = 'GRANTED' then $2::smallint else 0::smallint end))::smallint,
  consent_objected = ((consent_objected & ~$2::smallint) | (case when $3 = 'OBJECTED' then $2::smallint else 0::smallint end))::smallint
  where id = $1`;

/** SQL: the bit of `s.purpose` (a consent_state alias), from the policy's CONSENT_BIT. */
export const BIT_OF_PURPOSE = `(case s.purpose ${Object.entries(CONSENT_BIT)
  .map(([purpose, bit]) => `when '${purpose}' then ${1 << bit}`)
  .join(' ')} else 0 end)`;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** What a ledger event holds, in the order of its hash and of its columns (`hash` comes last in the table). */
const EVENT_FIELDS = [
  ['id', 'id'],
  ['contactId', 'contact_id'],
  ['seq', 'seq'],
  ['purpose', 'purpose'],
  ['status', 'status'],
  ['method', 'method'],
  ['noticeVersion', 'notice_version'],
  ['capturedAt', 'captured_at'],
  ['recordedAt', 'recorded_at'],
  ['recordedBy', 'recorded_by'],
  ['evidenceDigest', 'evidence_digest'],
  ['prevHash', 'prev_hash'],
  ['verification', 'verification'],
  ['verifiedAt', 'verified_at'],
  ['verificationRef', 'verification_ref'],
] as const;

/** The fields a v1 hash covers: every event recorded before verification existed keeps its hash. */
const V1_FIELDS = EVENT_FIELDS.slice(0, 12);

type HashedEvent = {
  readonly [K in (typeof EVENT_FIELDS)[number][0]]: K extends 'seq' ? number : string | null;
};

/**
 * The hash that chains an event to the contact's previous one: every field the ledger keeps, and the digest of
 * the evidence (not the evidence itself, which an erasure may delete). Timestamps as ISO 8601 UTC with
 * milliseconds, exactly as stored (timestamptz(3)).
 */
export function eventHash(event: HashedEvent): string {
  const verified = event.verification !== null || event.verifiedAt !== null || event.verificationRef !== null;
  return verified
    ? sha256(JSON.stringify(['custos.consent.v2', ...EVENT_FIELDS.map(([key]) => event[key])]))
    : sha256(JSON.stringify(['custos.consent.v1', ...V1_FIELDS.map(([key]) => event[key])]));
}

/** The values of an event for `insert into consent_event (…EVENT_COLUMN_LIST, hash)`. */
const eventValues = (event: HashedEvent) => [...EVENT_FIELDS.map(([key]) => event[key]), eventHash(event)];
const EVENT_COLUMN_LIST = [...EVENT_FIELDS.map(([, column]) => column), 'hash'].join(', ');

export const evidenceDigest = (evidence: {
  source: string | null;
  userAgent: string | null;
  ipHmac: string | null;
}): string =>
  sha256(JSON.stringify(['custos.evidence.v1', evidence.source, evidence.userAgent, evidence.ipHmac]));

/**
 * Validates one event. `prefix` names where it came from in a bulk import (`line 7.`): there an unknown purpose
 * is one more problem of the report; in a single call it is NOT_FOUND, like an unknown contact.
 */
export function cleanInput(v: Validator, input: ConsentEventInput, now: Date, prefix = '') {
  if (!isPurpose(input.purpose)) {
    if (!prefix) throw new NotFoundError('Purpose', 'purpose');
    v.fail(`${prefix}purpose`, 'unknown', 'is not a purpose of the policy');
    return undefined;
  }
  if (!CONSENT_STATUSES.includes(input.status))
    v.fail(`${prefix}status`, 'one_of', `must be one of ${CONSENT_STATUSES.join(', ')}`);
  if (!CONSENT_METHODS.includes(input.method))
    v.fail(`${prefix}method`, 'one_of', `must be one of ${CONSENT_METHODS.join(', ')}`);
  const problem = consentStatusProblem(input.purpose, input.status);
  if (problem) v.fail(`${prefix}status`, 'lawful_basis', problem);
  const capturedAt = input.capturedAt ?? now;
  // A clock a little ahead is not a lie; a choice made tomorrow is.
  if (capturedAt.getTime() > now.getTime() + 5 * 60_000)
    v.fail(`${prefix}capturedAt`, 'past', 'must not be in the future');
  const noticeVersion = v.text(`${prefix}noticeVersion`, input.noticeVersion, { max: 32 }) ?? null;
  // Consent must be informed (Art 7(1), CCPA notice at collection): a grant names the notice the person saw.
  if (input.status === 'GRANTED' && !noticeVersion) {
    v.fail(
      `${prefix}noticeVersion`,
      'required',
      'is required to record a consent: the notice the person saw',
    );
  }
  const evidence = input.evidence ?? {};
  const source = v.text(`${prefix}evidence.source`, evidence.source, { max: 200 }) ?? null;
  // ... and the controller must be able to demonstrate it (Art 7(1)): a grant names where its evidence is (the
  // signed form, the call, the confirmed link).
  if (input.status === 'GRANTED' && !source) {
    v.fail(
      // A bulk import names the CSV's column.
      prefix ? `${prefix}source` : 'evidence.source',
      'required',
      'is required to record a consent: where the evidence of it is kept',
    );
  }
  const userAgent = v.text(`${prefix}evidence.userAgent`, evidence.userAgent, { max: 500 }) ?? null;
  const ip = evidence.ip ?? null;
  if (ip !== null && isIP(ip) === 0)
    v.fail(`${prefix}evidence.ip`, 'ip_address', 'must be an IPv4 or IPv6 address');
  const ipHmac = evidence.ipHmac ?? null;
  if (ipHmac !== null && !/^[0-9a-f]{64}$/.test(ipHmac))
    v.fail(`${prefix}evidence.ipHmac`, 'hmac', 'must be a hex SHA-256 HMAC');
  const verification = input.verification ?? null;
  return { purpose: input.purpose, capturedAt, noticeVersion, source, userAgent, ip, ipHmac, verification };
}

/**
 * Appends one event to the ledger and sets the contact's current status for the purpose, in one transaction.
 * The contact's row is locked first (it must be a row the caller's purpose may see, else NOT_FOUND like an id
 * that does not exist), so concurrent events for one contact are chained one after the other, in order.
 */
export async function appendConsentEvent(
  em: EntityManager,
  input: ConsentEventInput,
  recorder: Recorder,
): Promise<string> {
  const v = new Validator();
  const clean = cleanInput(v, input, recorder.now);
  v.done();
  if (!clean) throw new NotFoundError('Purpose', 'purpose');
  return em.transactional(async (tx) => {
    if (!(await visibleContactState(tx, recorder.purpose, input.contactId))) {
      throw new NotFoundError('Contact', 'contactId');
    }
    if (clean.noticeVersion && (await unknownNotices(tx, [clean.noticeVersion])).length > 0) {
      const problems = new Validator();
      problems.fail('noticeVersion', 'exists', 'is not a published privacy notice version');
      problems.done();
    }
    return writeEvent(tx, input, clean, recorder);
  });
}

export type CleanEvent = NonNullable<ReturnType<typeof cleanInput>>;

/** The versions among `versions` that name no published privacy notice. */
export async function unknownNotices(em: EntityManager, versions: readonly string[]): Promise<string[]> {
  // Only what could name a notice is looked up: anything else (a NUL byte, which PostgreSQL refuses in text,
  // would be an internal error) is simply not a published version.
  const known = await query<{ version: string }>(
    em,
    'select version from privacy_notice where version = any($1)',
    [[...new Set(versions.filter(isVersion))]],
  );
  const found = new Set(known.map((row) => row.version));
  return versions.filter((version) => !found.has(version));
}

/**
 * Writes one validated event, its evidence, the contact's current state and consent bits. Runs in the caller's
 * transaction, with the contact's row already locked (so that events of one contact chain one after another).
 */
export async function writeEvent(
  tx: EntityManager,
  input: Pick<ConsentEventInput, 'contactId' | 'status' | 'method'>,
  clean: CleanEvent,
  recorder: Recorder,
): Promise<string> {
  const [last] = await query<{ seq: number; hash: string }>(
    tx,
    'select seq, hash from consent_event where contact_id = $1 order by seq desc limit 1',
    [input.contactId],
  );
  const ipHmac =
    clean.ipHmac ?? (clean.ip ? createHmac('sha256', recorder.hmacKey).update(clean.ip).digest('hex') : null);
  const hasEvidence = clean.source !== null || clean.userAgent !== null || ipHmac !== null;
  const event = {
    id: randomUUID(),
    contactId: input.contactId,
    seq: (last?.seq ?? 0) + 1,
    purpose: clean.purpose,
    status: input.status,
    method: input.method,
    noticeVersion: clean.noticeVersion,
    capturedAt: clean.capturedAt.toISOString(),
    recordedAt: recorder.now.toISOString(),
    recordedBy: recorder.actor.slice(0, 200),
    evidenceDigest: hasEvidence
      ? evidenceDigest({ source: clean.source, userAgent: clean.userAgent, ipHmac })
      : null,
    prevHash: last?.hash ?? null,
    verification: clean.verification?.kind ?? null,
    verifiedAt: clean.verification?.at.toISOString() ?? null,
    verificationRef: clean.verification?.ref?.slice(0, 255) ?? null,
  };
  await query(
    tx,
    `insert into consent_event (${EVENT_COLUMN_LIST}) values (${EVENT_FIELDS.map((_, i) => `$${i + 1}`).join(', ')}, $${EVENT_FIELDS.length + 1})`,
    eventValues(event),
  );
  if (hasEvidence) {
    await query(
      tx,
      'insert into consent_evidence (event_id, source, user_agent, ip_hmac) values ($1, $2, $3, $4)',
      [event.id, clean.source, clean.userAgent, ipHmac],
    );
  }
  // The current state follows the ledger in the same transaction: the next request's row rule sees it.
  await query(
    tx,
    `insert into consent_state (contact_id, purpose, status, updated_at) values ($1, $2, $3, $4)
     on conflict (contact_id, purpose) do update set status = excluded.status, updated_at = excluded.updated_at`,
    [event.contactId, event.purpose, event.status, event.recordedAt],
  );
  await query(tx, SET_CONSENT_BITS, [event.contactId, 1 << CONSENT_BIT[clean.purpose], event.status]);

  return event.id;
}

/** A contact's current status for one purpose (consent_state): the latest event of the ledger for it. */
export interface ConsentStateRow {
  readonly purpose: string;
  readonly status: ConsentStatus;
  readonly updatedAt: string;
}

/** A contact's current status per purpose, by purpose name; the caller checks first that its purpose sees the contact. */
export function currentConsentStates(em: EntityManager, contactId: string): Promise<ConsentStateRow[]> {
  return query<ConsentStateRow>(
    em,
    `select s.purpose, s.status, ${isoTimestamp('s.updated_at', 'updatedAt')} from consent_state s
     where s.contact_id = $1 order by s.purpose`,
    [contactId],
  );
}

/** Sets or lifts a contact's CCPA sensitive-data limit, on a contact the purpose may see (else NOT_FOUND). */
export async function setSensitiveLimit(
  em: EntityManager,
  purpose: Purpose,
  contactId: string,
  limited: boolean,
  now: Date,
): Promise<string> {
  return em.transactional(async (tx) => {
    if (!(await visibleContactState(tx, purpose, contactId))) throw new NotFoundError('Contact', 'contactId');
    await query(tx, 'update contact set limit_sensitive = $2, updated_at = $3 where id = $1', [
      contactId,
      limited,
      now,
    ]);
    return contactId;
  });
}

/** Checks one event's input (and that its notice is published) without writing: BAD_USER_INPUT when not valid. */
export async function checkConsentInput(
  em: EntityManager,
  input: ConsentEventInput,
  now: Date,
): Promise<void> {
  const v = new Validator();
  const clean = cleanInput(v, input, now);
  if (clean?.noticeVersion && (await unknownNotices(em, [clean.noticeVersion])).length > 0) {
    v.fail('noticeVersion', 'exists', 'is not a published privacy notice version');
  }
  v.done();
}
