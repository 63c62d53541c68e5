import { createHash, createHmac, randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import { isoTimestamp, query } from '@custos/database';
import { rowScope, visibleContactState } from '@custos/enforcement';
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
import { isUuid, NotFoundError, Validator } from '@custos/runtime';
import type { EntityManager } from '@mikro-orm/postgresql';
import { parseCsv } from './csv.js';
import { isVersion } from './notice.service.js';

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
] as const;

type HashedEvent = {
  readonly [K in (typeof EVENT_FIELDS)[number][0]]: K extends 'seq' ? number : string | null;
};

/**
 * The hash that chains an event to the contact's previous one: every field the ledger keeps, and the digest of
 * the evidence (not the evidence itself, which an erasure may delete). Timestamps as ISO 8601 UTC with
 * milliseconds, exactly as stored (timestamptz(3)).
 */
export function eventHash(event: HashedEvent): string {
  return sha256(JSON.stringify(['custos.consent.v1', ...EVENT_FIELDS.map(([key]) => event[key])]));
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
function cleanInput(v: Validator, input: ConsentEventInput, now: Date, prefix = '') {
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
  const userAgent = v.text(`${prefix}evidence.userAgent`, evidence.userAgent, { max: 500 }) ?? null;
  const ip = evidence.ip ?? null;
  if (ip !== null && isIP(ip) === 0)
    v.fail(`${prefix}evidence.ip`, 'ip_address', 'must be an IPv4 or IPv6 address');
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

type CleanEvent = NonNullable<ReturnType<typeof cleanInput>>;

async function unknownNotices(em: EntityManager, versions: readonly string[]): Promise<string[]> {
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
async function writeEvent(
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
export function verifyConsentChain(em: EntityManager, contactId?: string | null): Promise<ChainCheck> {
  // One snapshot for the events, the states and the bits: an event appended between two of the reads is no
  // mismatch.
  return em.transactional((tx) => checkChain(tx, contactId ?? null), {
    isolationLevel: 'repeatable read',
    readOnly: true,
  });
}

async function checkChain(em: EntityManager, contactId: string | null): Promise<ChainCheck> {
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
  /** Whom the receipt is about: for the audit trail only, never served. */
  readonly contactId: string;
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
    contactId: row.contactId,
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

/** The columns of a consent import, by header name; `method` defaults to IMPORT, the evidence columns are optional. */
export const IMPORT_COLUMNS = [
  'contact_id',
  'purpose',
  'status',
  'method',
  'notice_version',
  'captured_at',
  'source',
] as const;
export const MAX_IMPORT_ROWS = 10_000;

/**
 * Imports consent events from CSV (a form tool's export): every row validated — contact, purpose, status against
 * the purpose's lawful basis, method, notice, time — and then all of them appended in one transaction, or none
 * when any row is bad: the error lists every bad row (`line N.column`) and why, never a value.
 */
export async function importConsents(
  em: EntityManager,
  csv: string,
  recorder: Recorder & { readonly purpose: Purpose },
): Promise<number> {
  const v = new Validator();
  const parsed = parseCsv(csv);
  if ('errorLine' in parsed) {
    v.fail(`line ${parsed.errorLine}`, 'csv', 'has a malformed quoted field');
    v.done();
    return 0;
  }
  const [header, ...rows] = parsed.records;
  const columns = header?.fields.map((name) => name.trim().toLowerCase()) ?? [];
  for (const name of columns) {
    if (!(IMPORT_COLUMNS as readonly string[]).includes(name)) {
      v.fail('header', 'column', `has an unknown column (expected ${IMPORT_COLUMNS.join(', ')})`);
    }
  }
  for (const required of ['contact_id', 'purpose', 'status']) {
    if (!columns.includes(required)) v.fail('header', 'required', `must name the column ${required}`);
  }
  if (rows.length === 0) v.fail('csv', 'required', 'must hold at least one row after the header');
  if (rows.length > MAX_IMPORT_ROWS) v.fail('csv', 'max_rows', `must hold at most ${MAX_IMPORT_ROWS} rows`);
  v.done();

  const cleanRows: { line: number; input: ConsentEventInput; clean: CleanEvent }[] = [];
  for (const row of rows) {
    const prefix = `line ${row.line}.`;
    if (row.fields.length !== columns.length) {
      v.fail(`line ${row.line}`, 'columns', `must have ${columns.length} fields like the header`);
      continue;
    }
    const cell = (name: string) => {
      const index = columns.indexOf(name);
      const value = index < 0 ? '' : (row.fields[index] ?? '').trim();
      return value === '' ? null : value;
    };
    const contactId = cell('contact_id') ?? '';
    if (!isUuid(contactId)) v.fail(`${prefix}contact_id`, 'id', 'must be a contact id');
    const capturedRaw = cell('captured_at');
    const capturedAt = capturedRaw === null ? null : new Date(capturedRaw);
    if (capturedAt && Number.isNaN(capturedAt.getTime())) {
      v.fail(`${prefix}captured_at`, 'date_time', 'must be an ISO 8601 date-time');
    }
    const input: ConsentEventInput = {
      contactId,
      purpose: cell('purpose') ?? '',
      status: (cell('status') ?? '') as ConsentStatus,
      method: (cell('method') ?? 'IMPORT') as ConsentMethod,
      noticeVersion: cell('notice_version'),
      capturedAt: capturedAt && !Number.isNaN(capturedAt.getTime()) ? capturedAt : null,
      evidence: { source: cell('source') },
    };
    const clean = cleanInput(v, input, recorder.now, prefix);
    if (clean) cleanRows.push({ line: row.line, input, clean });
  }
  // Contacts and notices in bulk: a contact the caller's purpose may not see is, here too, one that does not exist.
  const ids = [...new Set(cleanRows.map((row) => row.input.contactId).filter(isUuid))];
  const seen = new Set(
    (
      await query<{ id: string }>(
        em,
        `select c.id from contact c where c.id = any($1::uuid[]) and ${rowScope(recorder.purpose)}`,
        [ids],
      )
    ).map((row) => row.id),
  );
  const missingNotices = new Set(
    await unknownNotices(
      em,
      cleanRows
        .map((row) => row.clean.noticeVersion)
        .filter((version): version is string => version !== null),
    ),
  );
  for (const row of cleanRows) {
    if (isUuid(row.input.contactId) && !seen.has(row.input.contactId)) {
      v.fail(`line ${row.line}.contact_id`, 'exists', 'is not a contact');
    }
    if (row.clean.noticeVersion && missingNotices.has(row.clean.noticeVersion)) {
      v.fail(`line ${row.line}.notice_version`, 'exists', 'is not a published privacy notice version');
    }
  }
  v.done();

  return em.transactional(async (tx) => {
    for (const row of cleanRows) {
      await query(tx, 'select 1 from contact where id = $1 for update', [row.input.contactId]);
      await writeEvent(tx, row.input, row.clean, recorder);
    }
    return cleanRows.length;
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
