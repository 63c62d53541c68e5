import { defineEntity, p } from '@mikro-orm/core';

/**
 * The audit trail's tables, mirroring the AuditTrail migration (a test fails when the two drift apart). Written
 * in bulk by the audit writer with SQL; the entities exist so that the schema has one description.
 */
const appendOnly = (table: string) => [
  {
    name: `${table}_no_update`,
    timing: 'before' as const,
    events: ['update' as const, 'delete' as const],
    forEach: 'row' as const,
    body: `raise exception '${table} is append-only' using errcode = 'insufficient_privilege';`,
  },
];

export const AuditBatchSchema = defineEntity({
  name: 'AuditBatch',
  tableName: 'audit_batch',
  triggers: appendOnly('audit_batch'),
  properties: {
    seq: p.bigint('number').primary().autoincrement(false),
    service: p.string().length(32),
    events: p.integer(),
    createdAt: p.datetime(3),
    prevHash: p.string().columnType('char(64)').nullable(),
    hash: p.string().columnType('char(64)'),
  },
});
export class AuditBatch extends AuditBatchSchema.class {}
AuditBatchSchema.setClass(AuditBatch);

export const AuditEventSchema = defineEntity({
  name: 'AuditEvent',
  tableName: 'audit_event',
  triggers: appendOnly('audit_event'),
  uniques: [{ name: 'audit_event_batch_idx_unique', properties: ['batch', 'idx'] }],
  indexes: [
    { name: 'audit_event_occurred_at_idx', properties: ['occurredAt', 'id'] },
    { name: 'audit_event_actor_idx', properties: ['actorSub', 'occurredAt', 'id'] },
    { name: 'audit_event_purpose_idx', properties: ['purpose', 'occurredAt', 'id'] },
  ],
  properties: {
    id: p.uuid().primary(),
    batch: () =>
      p
        .manyToOne(AuditBatch)
        .mapToPk()
        .fieldName('batch_seq')
        .updateRule('no action')
        .deleteRule('no action'),
    idx: p.integer(),
    occurredAt: p.datetime(3),
    service: p.string().length(32),
    actorSub: p.string().length(200),
    actorRoles: p.array().columnType('text[]'),
    purpose: p.string().length(32).nullable(),
    policyVersion: p.string().length(64),
    operationType: p.enum(['query', 'mutation', 'public', 'request'] as const).columnType('varchar(16)'),
    operationName: p.string().length(100).nullable(),
    rootFields: p.array().columnType('text[]'),
    requestId: p.string().length(100),
    gatewayRequestId: p.string().length(100).nullable(),
    outcome: p
      .enum(['OK', 'PARTIAL', 'FORBIDDEN', 'ERROR', 'UNAUTHENTICATED'] as const)
      .columnType('varchar(16)'),
    subjects: p.integer(),
    digest: p.string().columnType('char(64)'),
    /** Aggregated refusals (HTTP 401/403): the rule that refused, how many, the last one's time. */
    refusalReason: p.string().length(32).nullable(),
    refusals: p.integer().nullable(),
    lastRefusedAt: p.datetime(3).nullable(),
  },
});
export class AuditEvent extends AuditEventSchema.class {}
AuditEventSchema.setClass(AuditEvent);

/** A distinct set of subject pseudonyms, stored once and referenced by its digest (content-addressed). */
export const AuditSubjectSetSchema = defineEntity({
  name: 'AuditSubjectSet',
  tableName: 'audit_subject_set',
  indexes: [{ name: 'audit_subject_set_subjects_idx', properties: ['subjects'], type: 'gin' }],
  properties: {
    digest: p.string().columnType('char(64)').primary(),
    subjects: p.array().columnType('uuid[]'),
    createdAt: p.datetime(3),
  },
});
export class AuditSubjectSet extends AuditSubjectSetSchema.class {}
AuditSubjectSetSchema.setClass(AuditSubjectSet);

export const AuditAccessSchema = defineEntity({
  name: 'AuditAccess',
  tableName: 'audit_access',
  triggers: appendOnly('audit_access'),
  indexes: [
    // Only rows with inline subjects (written before subject sets): the writer's rows have none to index.
    {
      name: 'audit_access_subjects_idx',
      expression:
        'create index audit_access_subjects_idx on audit_access using gin (subjects) where subjects is not null',
    },
    { name: 'audit_access_subject_set_idx', properties: ['subjectSet'] },
  ],
  checks: [
    { name: 'audit_access_subjects_check', expression: '(subjects is null) <> (subject_set is null)' },
  ],
  properties: {
    event: () => p.manyToOne(AuditEvent).mapToPk().primary().updateRule('no action').deleteRule('no action'),
    ordinal: p.integer().primary(),
    channel: p.enum(['QUERY', 'ENTITIES', 'MUTATION', 'EXPORT'] as const).columnType('varchar(16)'),
    revealed: p.array().columnType('text[]'),
    redacted: p.array().columnType('text[]'),
    /** Inline pseudonyms: accesses written before subject sets existed. */
    subjects: p.array().columnType('uuid[]').nullable(),
    subjectSet: () =>
      p
        .manyToOne(AuditSubjectSet)
        .mapToPk()
        .fieldName('subject_set')
        .nullable()
        .updateRule('no action')
        .deleteRule('no action'),
  },
});
export class AuditAccess extends AuditAccessSchema.class {}
AuditAccessSchema.setClass(AuditAccess);

/** Contact → pseudonym: the log's only link to a person, deleted by an erasure. */
export const AuditSubjectSchema = defineEntity({
  name: 'AuditSubject',
  tableName: 'audit_subject',
  uniques: [{ name: 'audit_subject_pseudonym_unique', properties: ['pseudonym'] }],
  properties: {
    contactId: p.uuid().primary(),
    pseudonym: p.uuid(),
    createdAt: p.datetime(3),
  },
});
export class AuditSubject extends AuditSubjectSchema.class {}
AuditSubjectSchema.setClass(AuditSubject);

export const AuditRuleSchema = defineEntity({
  name: 'AuditRule',
  tableName: 'audit_rule',
  properties: {
    id: p.string().length(64).primary(),
    kind: p.enum(['DISTINCT_CONTACTS', 'OFF_HOURS', 'FORBIDDEN_REPEATED'] as const).columnType('varchar(32)'),
    description: p.string().length(500),
    params: p.json(),
    enabled: p.boolean().default(true),
    updatedAt: p.datetime(3),
    updatedBy: p.string().length(200),
  },
});
export class AuditRule extends AuditRuleSchema.class {}
AuditRuleSchema.setClass(AuditRule);

export const AuditAlertSchema = defineEntity({
  name: 'AuditAlert',
  tableName: 'audit_alert',
  indexes: [{ name: 'audit_alert_status_fired_idx', properties: ['status', 'firedAt', 'id'] }],
  properties: {
    id: p.uuid().primary(),
    ruleId: p.string().length(64),
    kind: p.string().length(32),
    actorSub: p.string().length(200),
    purpose: p.string().length(32).nullable(),
    firedAt: p.datetime(3),
    service: p.string().length(32),
    details: p.json(),
    status: p
      .enum(['OPEN', 'ACKNOWLEDGED'] as const)
      .columnType('varchar(16)')
      .default('OPEN'),
    acknowledgedBy: p.string().length(200).nullable(),
    acknowledgedAt: p.datetime(3).nullable(),
  },
});
export class AuditAlert extends AuditAlertSchema.class {}
AuditAlertSchema.setClass(AuditAlert);

/**
 * The outbox of mutations' events: inserted in the same transaction as the change (so that a committed change
 * always has its event), moved into the chain and deleted by the audit writer in one transaction.
 */
export const AuditPendingSchema = defineEntity({
  name: 'AuditPending',
  tableName: 'audit_pending',
  indexes: [{ name: 'audit_pending_created_at_idx', properties: ['createdAt', 'id'] }],
  properties: {
    id: p.uuid().primary(),
    createdAt: p.datetime(3),
    service: p.string().length(32),
    event: p.json(),
  },
});
export class AuditPending extends AuditPendingSchema.class {}
AuditPendingSchema.setClass(AuditPending);

/** Where retention cut the chain's oldest end: the rest verifies from this hash on. */
export const AuditAnchorSchema = defineEntity({
  name: 'AuditAnchor',
  tableName: 'audit_anchor',
  triggers: appendOnly('audit_anchor'),
  properties: {
    seq: p.bigint('number').primary().autoincrement(false),
    hash: p.string().columnType('char(64)'),
    prunedAt: p.datetime(3),
    olderThan: p.datetime(3),
    batches: p.integer(),
    events: p.integer(),
  },
});
export class AuditAnchor extends AuditAnchorSchema.class {}
AuditAnchorSchema.setClass(AuditAnchor);

/** The chain's identity (one row), carried by its checkpoints. */
export const AuditChainSchema = defineEntity({
  name: 'AuditChain',
  tableName: 'audit_chain',
  properties: {
    id: p.uuid().primary(),
    createdAt: p.datetime(3),
  },
});
export class AuditChain extends AuditChainSchema.class {}
AuditChainSchema.setClass(AuditChain);

export const AUDIT_ENTITIES = [
  AuditChain,
  AuditBatch,
  AuditEvent,
  AuditSubjectSet,
  AuditAccess,
  AuditSubject,
  AuditRule,
  AuditAlert,
  AuditAnchor,
  AuditPending,
];
