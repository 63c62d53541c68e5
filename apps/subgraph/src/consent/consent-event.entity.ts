import { CONSENT_METHODS, CONSENT_STATUSES, CONSENT_VERIFICATIONS } from '@custos/policy';
import { defineEntity, p } from '@mikro-orm/core';
import { Contact } from '../contacts/contact.entity.js';

/** A versioned privacy notice (CCPA notice at collection, Art 13): consents name the version they rest on. */
export const PrivacyNoticeSchema = defineEntity({
  name: 'PrivacyNotice',
  tableName: 'privacy_notice',
  properties: {
    version: p.string().length(32).primary(),
    text: p.text(),
    textSha256: p.string().columnType('char(64)'),
    publishedAt: p.datetime(3),
  },
});
export class PrivacyNotice extends PrivacyNoticeSchema.class {}
PrivacyNoticeSchema.setClass(PrivacyNotice);

const APPEND_ONLY =
  "raise exception 'consent_event is append-only' using errcode = 'insufficient_privilege';";

/** One append-only, hash-chained consent ledger event (see the ConsentLedger migration). */
export const ConsentEventSchema = defineEntity({
  name: 'ConsentEvent',
  tableName: 'consent_event',
  // Mirrors the committed migrations; a test fails when the two drift apart.
  uniques: [{ name: 'consent_event_contact_seq_unique', properties: ['contact', 'seq'] }],
  // The dashboard's consent trend reads a window of it by time (Migration20261208010000ConsentEventRecordedAt).
  indexes: [{ name: 'consent_event_recorded_at_idx', properties: ['recordedAt'] }],
  // Append-only for every role: the database refuses to change or remove an event. (The migration also refuses
  // TRUNCATE with a statement trigger, which MikroORM's schema reader does not see, so it is not declared here.)
  triggers: [
    {
      name: 'consent_event_no_update',
      timing: 'before',
      events: ['update', 'delete'],
      forEach: 'row',
      body: APPEND_ONLY,
    },
  ],
  properties: {
    id: p.uuid().primary(),
    contact: () => p.manyToOne(Contact).mapToPk().updateRule('cascade').deleteRule('no action'),
    seq: p.integer(),
    purpose: p.string().length(32),
    status: p.enum(CONSENT_STATUSES).columnType('varchar(16)'),
    method: p.enum(CONSENT_METHODS).columnType('varchar(16)'),
    notice: () =>
      p
        .manyToOne(PrivacyNotice)
        .mapToPk()
        .fieldName('notice_version')
        .nullable()
        .updateRule('cascade')
        .deleteRule('set null'),
    capturedAt: p.datetime(3),
    recordedAt: p.datetime(3),
    recordedBy: p.string().length(200),
    evidenceDigest: p.string().columnType('char(64)').nullable(),
    verification: p.enum(CONSENT_VERIFICATIONS).columnType('varchar(24)').nullable(),
    verifiedAt: p.datetime(3).nullable(),
    verificationRef: p.string().length(255).nullable(),
    prevHash: p.string().columnType('char(64)').nullable(),
    hash: p.string().columnType('char(64)'),
  },
});
export class ConsentEvent extends ConsentEventSchema.class {}
ConsentEventSchema.setClass(ConsentEvent);

/** The parts of an event that name the person: deletable by an erasure, the chain keeps only their digest. */
export const ConsentEvidenceSchema = defineEntity({
  name: 'ConsentEvidence',
  tableName: 'consent_evidence',
  properties: {
    event: () =>
      p.oneToOne(ConsentEvent).owner().mapToPk().primary().updateRule('cascade').deleteRule('no action'),
    source: p.string().length(200).nullable(),
    userAgent: p.string().length(500).nullable(),
    ipHmac: p.string().columnType('char(64)').nullable(),
  },
});
export class ConsentEvidence extends ConsentEvidenceSchema.class {}
ConsentEvidenceSchema.setClass(ConsentEvidence);
