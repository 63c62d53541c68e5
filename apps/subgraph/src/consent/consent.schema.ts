import { limitRows, query, reloaded } from '@custos/database';
import { visibleContactState } from '@custos/enforcement';
import { CONSENT_METHODS, CONSENT_STATUSES, CONSENT_VERIFICATIONS, type ConsentStatus } from '@custos/policy';
import { decodeCursor, isUuid, NotFoundError, pageSize, toConnection } from '@custos/runtime';
import { ContactRef } from '../contacts/contact.ref.js';
import type { Context } from '../context.js';
import { builder } from '../schema/builder.js';
import { connectionType } from '../schema/connection.js';
import { importConsents } from './consent.import.js';
import {
  appendConsentEvent,
  type ConsentEventInput,
  type ConsentEventRow,
  type ConsentStateRow,
  currentConsentStates,
  EVENT_COLUMNS,
  setSensitiveLimit,
} from './consent.ledger.js';
import { type ConsentReceiptRow, consentReceipt } from './consent.receipts.js';
import { type ChainCheck, verifyConsentChain } from './consent.verify.js';

const ConsentStatusEnum = builder.enumType('ConsentStatus', { values: CONSENT_STATUSES });
const ConsentMethodEnum = builder.enumType('ConsentMethod', { values: CONSENT_METHODS });
const ConsentVerificationEnum = builder.enumType('ConsentVerification', {
  description:
    'How a public choice was verified: EMAIL_CONFIRMATION (the person opened the single-use link mailed to the ' +
    'address on file: double opt-in), UNVERIFIED_SIGNAL (a refusal, withdrawal or GPC signal from the public ' +
    'form, which take effect at once).',
  values: CONSENT_VERIFICATIONS,
});
const ReceiptVerificationMethodEnum = builder.enumType('ConsentReceiptVerificationMethod', {
  description: 'ConsentVerification, or RECORDED_BY_STAFF: evidence captured elsewhere, named by its source.',
  values: [...CONSENT_VERIFICATIONS, 'RECORDED_BY_STAFF'] as const,
});

const ConsentEventRef = builder.objectRef<ConsentEventRow>('ConsentEvent').implement({
  // A person's consent choice: reaching the event reaches them.
  extensions: { auditSubject: (row: ConsentEventRow) => row.contactId },
  description:
    "One event of the consent ledger: append-only, chained to the contact's previous event by `prevHash`.",
  fields: (t) => ({
    id: t.exposeID('id'),
    contact: t.field({
      type: ContactRef,
      nullable: true,
      resolve: (event, _args, ctx) => ctx.loaders.contact.load(event.contactId),
    }),
    seq: t.exposeInt('seq', { description: "Position in the contact's chain, from 1." }),
    purpose: t.exposeString('purpose'),
    status: t.expose('status', { type: ConsentStatusEnum }),
    method: t.expose('method', { type: ConsentMethodEnum }),
    noticeVersion: t.exposeString('noticeVersion', { nullable: true }),
    capturedAt: t.expose('capturedAt', { type: 'DateTime', description: 'When the person made the choice.' }),
    recordedAt: t.expose('recordedAt', { type: 'DateTime' }),
    recordedBy: t.exposeString('recordedBy', { description: 'The subject of the token that recorded it.' }),
    verification: t.expose('verification', {
      type: ConsentVerificationEnum,
      nullable: true,
      description: 'How a public choice was verified; null when staff recorded it with their evidence.',
    }),
    prevHash: t.exposeString('prevHash', { nullable: true }),
    hash: t.exposeString('hash'),
  }),
});

const ConsentEventConnection = connectionType('ConsentEvent', ConsentEventRef);

const ConsentControllerRef = builder
  .objectRef<ConsentReceiptRow['controller']>('ConsentController')
  .implement({
    fields: (t) => ({ name: t.exposeString('name'), contact: t.exposeString('contact') }),
  });
const ConsentReceiptPurposeRef = builder
  .objectRef<ConsentReceiptRow['purpose']>('ConsentReceiptPurpose')
  .implement({
    fields: (t) => ({
      id: t.exposeString('id'),
      description: t.exposeString('description'),
      lawfulBasis: t.exposeString('lawfulBasis'),
    }),
  });
const ConsentReceiptNoticeRef = builder
  .objectRef<NonNullable<ConsentReceiptRow['notice']>>('ConsentReceiptNotice')
  .implement({
    fields: (t) => ({
      version: t.exposeString('version'),
      sha256: t.exposeString('sha256', { description: 'SHA-256 of the notice text the person saw.' }),
      publishedAt: t.expose('publishedAt', { type: 'DateTime' }),
    }),
  });

const ConsentReceiptVerificationRef = builder
  .objectRef<ConsentReceiptRow['verification']>('ConsentReceiptVerification')
  .implement({
    description: 'The evidence of the choice the controller can demonstrate (GDPR Art 7(1)).',
    fields: (t) => ({
      method: t.expose('method', { type: ReceiptVerificationMethodEnum }),
      verifiedAt: t.expose('verifiedAt', {
        type: 'DateTime',
        nullable: true,
        description:
          'EMAIL_CONFIRMATION: when the person confirmed; UNVERIFIED_SIGNAL: when it was recorded.',
      }),
      messageId: t.exposeString('messageId', {
        nullable: true,
        description: 'EMAIL_CONFIRMATION: the Message-ID of the confirmation mail the person answered.',
      }),
    }),
  });

const ConsentReceiptRef = builder.objectRef<ConsentReceiptRow>('ConsentReceipt').implement({
  extensions: { auditSubject: (row: ConsentReceiptRow) => row.contactId },
  description:
    'A consent event as a receipt with the fields of ISO/IEC TS 27560 (consent record information structure).',
  fields: (t) => ({
    schema: t.exposeString('schema'),
    recordId: t.exposeID('recordId'),
    controller: t.field({ type: ConsentControllerRef, resolve: (r) => r.controller }),
    subjectPseudonym: t.exposeString('subjectPseudonym', {
      nullable: true,
      description:
        'A keyed pseudonym of the person (the same for every receipt of one person), not their id.',
    }),
    purpose: t.field({ type: ConsentReceiptPurposeRef, resolve: (r) => r.purpose }),
    notice: t.field({ type: ConsentReceiptNoticeRef, nullable: true, resolve: (r) => r.notice }),
    method: t.expose('method', { type: ConsentMethodEnum }),
    status: t.expose('status', { type: ConsentStatusEnum }),
    timestamp: t.expose('timestamp', { type: 'DateTime', description: 'When the person made the choice.' }),
    recordedAt: t.expose('recordedAt', { type: 'DateTime' }),
    eventHash: t.exposeString('eventHash'),
    prevHash: t.exposeString('prevHash', { nullable: true }),
    verification: t.field({ type: ConsentReceiptVerificationRef, resolve: (r) => r.verification }),
  }),
});

const ConsentLedgerCheckRef = builder.objectRef<ChainCheck>('ConsentLedgerCheck').implement({
  fields: (t) => ({
    valid: t.exposeBoolean('valid'),
    events: t.exposeInt('events', { description: 'Events checked.' }),
    brokenEventId: t.exposeID('brokenEventId', {
      nullable: true,
      description: 'The first event whose hash, link or sequence does not hold.',
    }),
    stateMismatches: t.exposeInt('stateMismatches', {
      description: 'Current states that are not the latest event of their contact and purpose.',
    }),
  }),
});

const ConsentStateRef = builder.objectRef<ConsentStateRow>('ConsentState').implement({
  description: "A contact's current status for one purpose: the latest event of its ledger for that purpose.",
  fields: (t) => ({
    purpose: t.exposeString('purpose'),
    status: t.expose('status', { type: ConsentStatusEnum }),
    updatedAt: t.expose('updatedAt', {
      type: 'DateTime',
      description: 'When the latest event was recorded.',
    }),
  }),
});

const ConsentEvidenceInput = builder.inputType('ConsentEvidenceInput', {
  fields: (t) => ({
    source: t.string({ description: 'The form, mailbox or call the choice came from.' }),
    userAgent: t.string(),
    ip: t.string({ description: 'Kept only as a keyed HMAC.' }),
  }),
});

const RecordConsentInput = builder.inputType('RecordConsentInput', {
  fields: (t) => ({
    contactId: t.id({ required: true }),
    purpose: t.string({ required: true }),
    status: t.field({ type: ConsentStatusEnum, required: true }),
    method: t.field({ type: ConsentMethodEnum, required: true }),
    noticeVersion: t.string({ description: 'The privacy notice the person saw; required for GRANTED.' }),
    capturedAt: t.field({ type: 'DateTime', description: 'When the person chose; defaults to now.' }),
    evidence: t.field({
      type: ConsentEvidenceInput,
      description:
        'Where the evidence of the choice is kept; `source` is required for GRANTED (a signed form, a call reference).',
    }),
  }),
});

/** The contact's id when the caller's purpose may see the contact; else NOT_FOUND, as for an id that never existed. */
async function visibleContactId(ctx: Context, id: string | number): Promise<string> {
  const contactId = String(id);
  if (!(await visibleContactState(ctx.em, ctx.principal.purpose, contactId, { lock: false }))) {
    throw new NotFoundError('Contact', 'contactId');
  }
  return contactId;
}

async function eventById(ctx: Context, id: string): Promise<ConsentEventRow | null> {
  const [row] = await query<ConsentEventRow>(
    ctx.em,
    `select ${EVENT_COLUMNS} from consent_event e where e.id = $1`,
    [id],
  );
  return row ?? null;
}

async function record(ctx: Context, input: ConsentEventInput) {
  const id = await appendConsentEvent(ctx.em, input, {
    purpose: ctx.principal.purpose,
    actor: ctx.principal.sub,
    hmacKey: ctx.secrets.consentHmacKey,
    now: ctx.now,
  });
  return eventById(ctx, id);
}

/** Withdrawing and objecting take one call with two arguments: as easy as giving consent (Art 7(3)). */
function statusMutation(status: ConsentStatus, description: string) {
  return builder.mutationField(status === 'WITHDRAWN' ? 'withdrawConsent' : 'objectToProcessing', (t) =>
    t.field({
      type: ConsentEventRef,
      nullable: true,
      description,
      args: {
        contactId: t.arg.id({ required: true }),
        purpose: t.arg.string({ required: true }),
        method: t.arg({ type: ConsentMethodEnum, defaultValue: 'ADMIN' }),
        evidence: t.arg({ type: ConsentEvidenceInput }),
      },
      resolve: (_root, args, ctx) =>
        record(ctx, {
          contactId: String(args.contactId),
          purpose: args.purpose,
          status,
          method: args.method ?? 'ADMIN',
          evidence: args.evidence ?? null,
        }),
    }),
  );
}

builder.mutationFields((t) => ({
  recordConsent: t.field({
    type: ConsentEventRef,
    nullable: true,
    description:
      'Appends a consent event (GRANTED, DENIED, WITHDRAWN for consent-based purposes; OBJECTED where an objection applies) and sets the current state in the same transaction. A GRANTED needs `noticeVersion` and `evidence.source`: staff record consent captured elsewhere, and must be able to demonstrate it.',
    args: { input: t.arg({ type: RecordConsentInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      record(ctx, {
        contactId: String(input.contactId),
        purpose: input.purpose,
        status: input.status,
        method: input.method,
        noticeVersion: input.noticeVersion ?? null,
        capturedAt: input.capturedAt ?? null,
        evidence: input.evidence ?? null,
      }),
  }),
}));
builder.mutationField('limitSensitiveDataUse', (t) =>
  t.field({
    type: ContactRef,
    nullable: true,
    description:
      '"Limit the use of my sensitive personal information" (CCPA §1798.121): special-category fields are then redacted for every purpose but compliance. `limited: false` lifts it.',
    args: { contactId: t.arg.id({ required: true }), limited: t.arg.boolean({ defaultValue: true }) },
    resolve: async (_root, args, ctx) => {
      const id = await setSensitiveLimit(
        ctx.em,
        ctx.principal.purpose,
        String(args.contactId),
        args.limited ?? true,
        ctx.now,
      );
      return reloaded(ctx.loaders.contact, id);
    },
  }),
);

const ConsentImportRef = builder.objectRef<{ imported: number }>('ConsentImport').implement({
  fields: (t) => ({ imported: t.exposeInt('imported', { description: 'Events appended to the ledger.' }) }),
});

builder.mutationField('importConsents', (t) =>
  t.field({
    type: ConsentImportRef,
    description:
      'Imports consent events from CSV with the header `contact_id,purpose,status[,method][,notice_version][,captured_at][,source]` (at most 10,000 rows; method defaults to IMPORT; a GRANTED row needs notice_version and source, where its evidence is kept). All rows or none: BAD_USER_INPUT lists every bad row as `line N.column` with the rule it breaks.',
    args: { csv: t.arg.string({ required: true }) },
    resolve: async (_root, args, ctx) => ({
      imported: await importConsents(ctx.em, args.csv, {
        purpose: ctx.principal.purpose,
        actor: ctx.principal.sub,
        hmacKey: ctx.secrets.consentHmacKey,
        now: ctx.now,
      }),
    }),
  }),
);

statusMutation(
  'WITHDRAWN',
  'Records a withdrawal of consent for one purpose; it takes effect on the next request.',
);
statusMutation(
  'OBJECTED',
  "Records an objection (Art 21) to one purpose: the contact leaves that purpose's rows.",
);

builder.queryFields((t) => ({
  consentHistory: t.field({
    type: ConsentEventConnection,
    description: "A contact's consent ledger, oldest first. NOT_FOUND for a contact the purpose may not see.",
    args: {
      contactId: t.arg.id({ required: true }),
      first: t.arg.int({ defaultValue: 50 }),
      after: t.arg.string(),
    },
    resolve: async (_root, args, ctx) => {
      const size = pageSize('first', args.first);
      const after = decodeCursor('after', args.after);
      const seqAfter = after ? Number(after[0]) : 0;
      const contactId = await visibleContactId(ctx, args.contactId);
      const rows = await query<ConsentEventRow>(
        ctx.em,
        `select ${EVENT_COLUMNS} from consent_event e where e.contact_id = $1 and e.seq > $2 order by e.seq ${limitRows(size + 1)}`,
        [contactId, Number.isSafeInteger(seqAfter) ? seqAfter : 0],
      );
      return toConnection(
        rows,
        size,
        Boolean(after),
        (row) => [String(row.seq), row.id],
        async () => {
          const [count] = await query<{ n: number }>(
            ctx.em,
            'select count(*)::int as n from consent_event where contact_id = $1',
            [contactId],
          );
          return count?.n ?? 0;
        },
      );
    },
  }),
  currentConsents: t.field({
    type: [ConsentStateRef],
    description:
      "A contact's current consent status per purpose (only purposes with a recorded event). NOT_FOUND for a contact the purpose may not see.",
    args: { contactId: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) =>
      currentConsentStates(ctx.em, await visibleContactId(ctx, args.contactId)),
  }),
  consentReceipt: t.field({
    type: ConsentReceiptRef,
    nullable: true,
    description: 'One ledger event as a receipt; null for an event of a contact the purpose may not see.',
    args: { eventId: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) =>
      consentReceipt(ctx.em, ctx.principal.purpose, String(args.eventId), {
        controller: ctx.controller,
        hmacKey: ctx.secrets.consentHmacKey,
      }),
  }),
  verifyConsentLedger: t.field({
    type: ConsentLedgerCheckRef,
    description:
      'Recomputes the hash chain of one contact, or of the whole ledger, and checks the current states.',
    args: { contactId: t.arg.id() },
    resolve: (_root, args, ctx) => {
      const contactId =
        args.contactId === null || args.contactId === undefined ? null : String(args.contactId);
      if (contactId !== null && !isUuid(contactId)) throw new NotFoundError('Contact', 'contactId');
      return verifyConsentChain(ctx.em, contactId);
    },
  }),
}));
