import { createHash, createHmac, randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import {
  CONSENT_BIT,
  CONSENT_METHODS,
  CONSENT_STATUSES,
  type ConsentMethod,
  type ConsentStatus,
  consentStatusProblem,
  isPurpose,
  PURPOSE_DEFINITIONS,
  type Purpose,
} from '@custos/policy';
import type { EntityManager } from '@mikro-orm/postgresql';
import { rowScope } from '../privacy/row-scope.js';
import { visibleContactState } from '../privacy/writes.js';
import { NotFoundError } from '../shared/errors.js';
import { isUuid } from '../shared/pagination.js';
import { isoTimestamp, query } from '../shared/sql.js';
import { Validator } from '../shared/validate.js';

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
  readonly prevHash: string | null;
  readonly hash: string;
}

export const EVENT_COLUMNS = `e.id, e.contact_id as "contactId", e.seq, e.purpose, e.status, e.method,
  e.notice_version as "noticeVersion", ${isoTimestamp('e.captured_at', 'capturedAt')},
  ${isoTimestamp('e.recorded_at', 'recordedAt')}, e.recorded_by as "recordedBy", e.prev_hash as "prevHash", e.hash`;

export interface ConsentEvidenceInput {
  /** Where the choice was made: a form's name or URL, a mailbox, a call reference. */
  readonly source?: string | null;
  readonly userAgent?: string | null;
  /** Kept only as a keyed HMAC (GDPR Art 32): proves the same address later without storing it. */
  readonly ip?: string | null;
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
}

export interface Recorder {
  /** The caller's declared purpose: the contact must be a row it may see. */
  readonly purpose: Purpose;
  /** Who recorded it (the token's subject). */
  readonly actor: string;
  readonly hmacKey: Buffer;
  readonly now: Date;
}

/** SQL: the bit of `s.purpose` (a consent_state alias), from the policy's CONSENT_BIT. */
export const BIT_OF_PURPOSE = `(case s.purpose ${Object.entries(CONSENT_BIT)
  .map(([purpose, bit]) => `when '${purpose}' then ${1 << bit}`)
  .join(' ')} else 0 end)`;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * The hash that chains an event to the contact's previous one: every field the ledger keeps, and the digest of
 * the evidence (not the evidence itself, which an erasure may delete). Timestamps as ISO 8601 UTC with
 * milliseconds, exactly as stored (timestamptz(3)).
 */
export function eventHash(event: {
  readonly id: string;
  readonly contactId: string;
  readonly seq: number;
  readonly purpose: string;
  readonly status: string;
  readonly method: string;
  readonly noticeVersion: string | null;
  readonly capturedAt: string;
  readonly recordedAt: string;
  readonly recordedBy: string;
  readonly evidenceDigest: string | null;
  readonly prevHash: string | null;
}): string {
  return sha256(
    JSON.stringify([
      'custos.consent.v1',
      event.prevHash,
      event.id,
      event.contactId,
      event.seq,
      event.purpose,
      event.status,
      event.method,
      event.noticeVersion,
      event.capturedAt,
      event.recordedAt,
      event.recordedBy,
      event.evidenceDigest,
    ]),
  );
}

export const evidenceDigest = (evidence: {
  source: string | null;
  userAgent: string | null;
  ipHmac: string | null;
}): string =>
  sha256(JSON.stringify(['custos.evidence.v1', evidence.source, evidence.userAgent, evidence.ipHmac]));

function cleanInput(v: Validator, input: ConsentEventInput, now: Date) {
  if (!isPurpose(input.purpose)) throw new NotFoundError('Purpose', 'purpose');
  if (!CONSENT_STATUSES.includes(input.status))
    v.fail('status', 'one_of', `must be one of ${CONSENT_STATUSES.join(', ')}`);
  if (!CONSENT_METHODS.includes(input.method))
    v.fail('method', 'one_of', `must be one of ${CONSENT_METHODS.join(', ')}`);
  const problem = consentStatusProblem(input.purpose, input.status);
  if (problem) v.fail('status', 'lawful_basis', problem);
  const capturedAt = input.capturedAt ?? now;
  // A clock a little ahead is not a lie; a choice made tomorrow is.
  if (capturedAt.getTime() > now.getTime() + 5 * 60_000)
    v.fail('capturedAt', 'past', 'must not be in the future');
  const noticeVersion = v.text('noticeVersion', input.noticeVersion, { max: 32 }) ?? null;
  // Consent must be informed (Art 7(1), CCPA notice at collection): a grant names the notice the person saw.
  if (input.status === 'GRANTED' && !noticeVersion) {
    v.fail('noticeVersion', 'required', 'is required to record a consent: the notice the person saw');
  }
  const evidence = input.evidence ?? {};
  const source = v.text('evidence.source', evidence.source, { max: 200 }) ?? null;
  const userAgent = v.text('evidence.userAgent', evidence.userAgent, { max: 500 }) ?? null;
  const ip = evidence.ip ?? null;
  if (ip !== null && isIP(ip) === 0) v.fail('evidence.ip', 'ip_address', 'must be an IPv4 or IPv6 address');
  return { purpose: input.purpose, capturedAt, noticeVersion, source, userAgent, ip };
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
  return em.transactional(async (tx) => {
    if (!(await visibleContactState(tx, recorder.purpose, input.contactId)))
      throw new NotFoundError('Contact', 'contactId');
    if (clean.noticeVersion) {
      const [notice] = await query(tx, 'select 1 from privacy_notice where version = $1', [
        clean.noticeVersion,
      ]);
      if (!notice) {
        const problems = new Validator();
        problems.fail('noticeVersion', 'exists', 'is not a published privacy notice version');
        problems.done();
      }
    }
    const [last] = await query<{ seq: number; hash: string }>(
      tx,
      'select seq, hash from consent_event where contact_id = $1 order by seq desc limit 1',
      [input.contactId],
    );
    const ipHmac = clean.ip ? createHmac('sha256', recorder.hmacKey).update(clean.ip).digest('hex') : null;
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
    };
    await query(
      tx,
      `insert into consent_event (id, contact_id, seq, purpose, status, method, notice_version, captured_at,
         recorded_at, recorded_by, evidence_digest, prev_hash, hash)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
      [
        event.id,
        event.contactId,
        event.seq,
        event.purpose,
        event.status,
        event.method,
        event.noticeVersion,
        event.capturedAt,
        event.recordedAt,
        event.recordedBy,
        event.evidenceDigest,
        event.prevHash,
        eventHash(event),
      ],
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
    const bit = 1 << CONSENT_BIT[clean.purpose];
    await query(
      tx,
      `update contact set
         consent_granted = ((consent_granted & ~$2::smallint) | (case when $3 = 'GRANTED' then $2::smallint else 0::smallint end))::smallint,
         consent_objected = ((consent_objected & ~$2::smallint) | (case when $3 = 'OBJECTED' then $2::smallint else 0::smallint end))::smallint
       where id = $1`,
      [event.contactId, bit, event.status],
    );
    return event.id;
  });
}

export interface ChainCheck {
  readonly valid: boolean;
  readonly events: number;
  /** The first event whose hash, link or sequence does not hold (null when valid). */
  readonly brokenEventId: string | null;
  /** Current states that are not the ledger's latest event, and contacts whose consent bits disagree. */
  readonly stateMismatches: number;
}

/**
 * Recomputes every event's hash (one contact's, or the whole ledger's) and checks each link, the sequence and
 * that the current state per contact and purpose is the latest event's status. An edited field, a removed or
 * reordered event, or a state written past the ledger is found.
 */
export async function verifyConsentChain(em: EntityManager, contactId?: string | null): Promise<ChainCheck> {
  const rows = await query<ConsentEventRow & { evidenceDigest: string | null }>(
    em,
    `select ${EVENT_COLUMNS}, e.evidence_digest as "evidenceDigest" from consent_event e
     ${contactId ? 'where e.contact_id = $1' : ''} order by e.contact_id, e.seq`,
    contactId ? [contactId] : [],
  );
  let broken: string | null = null;
  let previous: (typeof rows)[number] | undefined;
  for (const row of rows) {
    const first = previous?.contactId !== row.contactId;
    const expectedSeq = first ? 1 : (previous?.seq ?? 0) + 1;
    const expectedPrev = first ? null : (previous?.hash ?? null);
    if (row.seq !== expectedSeq || row.prevHash !== expectedPrev || eventHash(row) !== row.hash) {
      broken = row.id;
      break;
    }
    previous = row;
  }
  const [state] = await query<{ n: number }>(
    em,
    `select count(*)::int as n from consent_state s
     left join lateral (
       select e.status from consent_event e where e.contact_id = s.contact_id and e.purpose = s.purpose
       order by e.seq desc limit 1
     ) latest on true
     where (latest.status is distinct from s.status) ${contactId ? 'and s.contact_id = $1' : ''}`,
    contactId ? [contactId] : [],
  );
  // The bits on the contact row must say what consent_state says.
  const [bits] = await query<{ n: number }>(
    em,
    `select count(*)::int as n from contact c
     left join lateral (
       select coalesce(bit_or(${BIT_OF_PURPOSE}) filter (where s.status = 'GRANTED'), 0) as granted,
              coalesce(bit_or(${BIT_OF_PURPOSE}) filter (where s.status = 'OBJECTED'), 0) as objected
       from consent_state s where s.contact_id = c.id
     ) m on true
     where (c.consent_granted <> m.granted or c.consent_objected <> m.objected) ${contactId ? 'and c.id = $1' : ''}`,
    contactId ? [contactId] : [],
  );
  const mismatches = (state?.n ?? 0) + (bits?.n ?? 0);
  return {
    valid: broken === null && mismatches === 0,
    events: rows.length,
    brokenEventId: broken,
    stateMismatches: mismatches,
  };
}

export interface ConsentReceiptRow {
  readonly schema: string;
  readonly recordId: string;
  readonly controller: { readonly name: string; readonly contact: string };
  readonly subjectPseudonym: string;
  readonly purpose: { readonly id: string; readonly description: string; readonly lawfulBasis: string };
  readonly notice: { readonly version: string; readonly sha256: string; readonly publishedAt: string } | null;
  readonly method: ConsentMethod;
  readonly status: ConsentStatus;
  readonly timestamp: string;
  readonly recordedAt: string;
  readonly eventHash: string;
  readonly prevHash: string | null;
  /** The subject's state, for the policy's field decisions (the pseudonym is personal data). */
  readonly restricted: boolean;
  readonly limitSensitive: boolean;
}

/**
 * One event as an ISO/IEC TS 27560 consent receipt, for a contact the purpose may see (else null, like an event
 * that does not exist). The subject is named by a keyed pseudonym, stable per person, never by the contact id.
 */
export async function consentReceipt(
  em: EntityManager,
  purpose: Purpose,
  eventId: string,
  options: {
    readonly controller: { readonly name: string; readonly contact: string };
    readonly hmacKey: Buffer;
  },
): Promise<ConsentReceiptRow | null> {
  if (!isUuid(eventId)) return null;
  const [row] = await query<
    ConsentEventRow & {
      restricted: boolean;
      limitSensitive: boolean;
      noticeSha256: string | null;
      noticePublishedAt: string | null;
    }
  >(
    em,
    `select ${EVENT_COLUMNS}, c.restricted, c.limit_sensitive as "limitSensitive",
       n.text_sha256 as "noticeSha256", ${isoTimestamp('n.published_at', 'noticePublishedAt')}
     from consent_event e join contact c on c.id = e.contact_id
     left join privacy_notice n on n.version = e.notice_version
     where e.id = $1 and ${rowScope(purpose)}`,
    [eventId],
  );
  if (!row) return null;
  const definition = isPurpose(row.purpose) ? PURPOSE_DEFINITIONS[row.purpose] : undefined;
  return {
    schema: 'ISO/IEC TS 27560:2023',
    recordId: row.id,
    controller: options.controller,
    subjectPseudonym: createHmac('sha256', options.hmacKey).update(`subject:${row.contactId}`).digest('hex'),
    purpose: {
      id: row.purpose,
      description: definition?.description ?? '',
      lawfulBasis: definition?.lawfulBasis ?? '',
    },
    notice:
      row.noticeVersion && row.noticeSha256 && row.noticePublishedAt
        ? { version: row.noticeVersion, sha256: row.noticeSha256, publishedAt: row.noticePublishedAt }
        : null,
    method: row.method,
    status: row.status,
    timestamp: row.capturedAt,
    recordedAt: row.recordedAt,
    eventHash: row.hash,
    prevHash: row.prevHash,
    restricted: row.restricted,
    limitSensitive: row.limitSensitive,
  };
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
