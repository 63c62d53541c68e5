import { type AuditLogCheck, RULE_KINDS, verifyAuditLog } from '@custos/audit';
import { query } from '@custos/database';
import { PURPOSES } from '@custos/policy';
import { decodeTimeCursor, pageSize, ValidationError } from '@custos/runtime';
import type { Context } from '../context.js';
import { builder } from '../schema/builder.js';
import { connectionType } from '../schema/connection.js';
import {
  type AuditAccessRow,
  type AuditAlertRow,
  type AuditEventRow,
  type AuditRuleRow,
  acknowledgeAuditAlert,
  getAuditEvent,
  listAuditAlerts,
  listAuditEvents,
  listAuditRules,
  setAuditRule,
} from './audit.service.js';

// The audit trail is personal data itself (who read whom): every operation here is the compliance purpose's
// alone (packages/policy, operations), and every one of them is audited like any other.

const AuditAccessRef = builder.objectRef<AuditAccessRow>('AuditAccess').implement({
  description: 'What one operation did with a group of contacts: how it reached them and which fields.',
  fields: (t) => ({
    channel: t.exposeString('channel', {
      description: 'QUERY, MUTATION, ENTITIES (a gateway resolving references) or EXPORT (access package).',
    }),
    revealedFields: t.exposeStringList('revealedFields', {
      description: 'Personal fields the caller received.',
    }),
    redactedFields: t.exposeStringList('redactedFields', { description: 'Personal fields withheld (null).' }),
    subjectCount: t.exposeInt('subjectCount'),
    contactIds: t.exposeIDList('contactIds', {
      description: 'The contacts concerned that can still be named (an erasure removes the link).',
    }),
  }),
});

const AuditEventRef = builder.objectRef<AuditEventRow>('AuditEvent').implement({
  description:
    'One operation of one subgraph that revealed personal data, changed something, or was refused.',
  fields: (t) => ({
    id: t.exposeID('id'),
    occurredAt: t.exposeString('occurredAt'),
    service: t.exposeString('service'),
    actor: t.exposeString('actor', { description: "The token's subject." }),
    actorRoles: t.exposeStringList('actorRoles'),
    purpose: t.exposeString('purpose', { nullable: true }),
    policyVersion: t.exposeString('policyVersion'),
    operationType: t.exposeString('operationType'),
    operationName: t.exposeString('operationName', { nullable: true }),
    rootFields: t.exposeStringList('rootFields'),
    requestId: t.exposeString('requestId'),
    gatewayRequestId: t.exposeString('gatewayRequestId', { nullable: true }),
    outcome: t.exposeString('outcome', {
      description: 'OK, PARTIAL, FORBIDDEN, ERROR, or UNAUTHENTICATED (a request refused for its token).',
    }),
    subjectCount: t.exposeInt('subjectCount'),
    refusalReason: t.exposeString('refusalReason', {
      nullable: true,
      description:
        'Refused requests (operationType request): the rule that refused them, e.g. PURPOSE_NOT_HELD, TOKEN_EXPIRED.',
    }),
    refusals: t.exposeInt('refusals', {
      nullable: true,
      description:
        'Refused requests are aggregated per window: how many this event stands for (occurredAt is the first).',
    }),
    lastRefusedAt: t.exposeString('lastRefusedAt', {
      nullable: true,
      description: 'The last refusal counted.',
    }),
    accesses: t.field({ type: [AuditAccessRef], resolve: (event) => event.accesses }),
  }),
});
const AuditEventConnection = connectionType('AuditEvent', AuditEventRef);

const AuditLogCheckRef = builder.objectRef<AuditLogCheck>('AuditLogCheck').implement({
  fields: (t) => ({
    valid: t.exposeBoolean('valid'),
    batches: t.exposeInt('batches'),
    events: t.exposeInt('events'),
    headSeq: t.exposeInt('headSeq', { nullable: true }),
    checkpoints: t.exposeInt('checkpoints'),
    lastCheckpointSeq: t.exposeInt('lastCheckpointSeq', { nullable: true }),
    brokenBatchSeq: t.exposeInt('brokenBatchSeq', { nullable: true }),
    problem: t.exposeString('problem', { nullable: true }),
  }),
});

const AuditAlertStatus = builder.enumType('AuditAlertStatus', { values: ['OPEN', 'ACKNOWLEDGED'] as const });

const AuditAlertRef = builder.objectRef<AuditAlertRow>('AuditAlert').implement({
  description: 'A monitoring rule that fired.',
  fields: (t) => ({
    id: t.exposeID('id'),
    ruleId: t.exposeString('ruleId'),
    kind: t.exposeString('kind'),
    actor: t.exposeString('actor'),
    purpose: t.exposeString('purpose', { nullable: true }),
    firedAt: t.exposeString('firedAt'),
    service: t.exposeString('service'),
    details: t.string({
      description: 'What the rule saw (counts, times), as JSON.',
      resolve: (a) => JSON.stringify(a.details),
    }),
    status: t.field({ type: AuditAlertStatus, resolve: (a) => a.status }),
    acknowledgedBy: t.exposeString('acknowledgedBy', { nullable: true }),
    acknowledgedAt: t.exposeString('acknowledgedAt', { nullable: true }),
  }),
});
const AuditAlertConnection = connectionType('AuditAlert', AuditAlertRef);

const AuditRuleKind = builder.enumType('AuditRuleKind', { values: RULE_KINDS });

const AuditRuleRef = builder.objectRef<AuditRuleRow>('AuditRule').implement({
  description: 'A monitoring rule over the audit trail (data, edited by the privacy officer).',
  fields: (t) => ({
    id: t.exposeID('id'),
    kind: t.field({ type: AuditRuleKind, resolve: (r) => r.kind }),
    description: t.exposeString('description'),
    params: t.string({
      description: 'The parameters of its kind, as JSON.',
      resolve: (r) => JSON.stringify(r.params),
    }),
    enabled: t.exposeBoolean('enabled'),
    updatedAt: t.exposeString('updatedAt'),
    updatedBy: t.exposeString('updatedBy'),
  }),
});

const AuditRuleInput = builder.inputType('AuditRuleInput', {
  fields: (t) => ({
    id: t.string({ required: true, description: 'A slug: lowercase letters, digits, dashes.' }),
    kind: t.field({ type: AuditRuleKind, required: true }),
    description: t.string({ required: true }),
    params: t.string({
      required: true,
      description:
        'JSON. DISTINCT_CONTACTS: {limit, minutes, purposes?}; FORBIDDEN_REPEATED: {limit, minutes}; ' +
        'OFF_HOURS: {timeZone, start "HH:MM", end "HH:MM", weekdays [1-7], purposes}.',
    }),
    enabled: t.boolean({ required: true }),
  }),
});

const checkPurpose = (purpose: string | null | undefined) => {
  if (purpose && !(PURPOSES as readonly string[]).includes(purpose)) {
    throw new ValidationError([
      { field: 'purpose', rule: 'oneOf', message: `must be one of ${PURPOSES.join(', ')}` },
    ]);
  }
};

builder.queryFields((t) => ({
  auditEvents: t.field({
    type: AuditEventConnection,
    description:
      "The audit trail, newest first: by contact (who saw this person's data, when, for what), actor, purpose, time.",
    args: {
      contactId: t.arg.id(),
      actor: t.arg.string(),
      purpose: t.arg.string(),
      from: t.arg({ type: 'DateTime' }),
      to: t.arg({ type: 'DateTime' }),
      first: t.arg.int({ defaultValue: 50 }),
      after: t.arg.string(),
    },
    resolve: async (_root, args, ctx: Context) => {
      checkPurpose(args.purpose);
      // Events written a moment ago are in the writer's buffer: an officer's query sees everything up to now.
      await ctx.auditTrail.writer?.flush();
      return listAuditEvents(
        ctx.em,
        {
          contactId: args.contactId === null || args.contactId === undefined ? null : String(args.contactId),
          actor: args.actor ?? null,
          purpose: args.purpose ?? null,
          from: args.from ?? null,
          to: args.to ?? null,
        },
        Math.min(pageSize('first', args.first), 100),
        decodeTimeCursor('after', args.after),
      );
    },
  }),
  auditEvent: t.field({
    type: AuditEventRef,
    nullable: true,
    description:
      "One event of the audit trail by its id, with every access it recorded. NOT_FOUND for an id that is not an event's.",
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx: Context) => {
      // As for auditEvents: an event written a moment ago is still in the writer's buffer.
      await ctx.auditTrail.writer?.flush();
      return getAuditEvent(ctx.em, String(args.id));
    },
  }),
  verifyAuditLog: t.field({
    type: AuditLogCheckRef,
    description:
      'Recomputes the audit chain (every event digest, batch hash and link) and checks it against the signed ' +
      'checkpoints kept outside the database, so that edited, removed or truncated records are found.',
    resolve: async (_root, _args, ctx: Context) => {
      await ctx.auditTrail.writer?.flush();
      return verifyAuditLog((sql, params) => query(ctx.em, sql, params), ctx.auditTrail);
    },
  }),
  auditAlerts: t.field({
    type: AuditAlertConnection,
    description: 'Alerts raised by the monitoring rules, newest first.',
    args: {
      status: t.arg({ type: AuditAlertStatus }),
      first: t.arg.int({ defaultValue: 50 }),
      after: t.arg.string(),
    },
    resolve: (_root, args, ctx: Context) =>
      listAuditAlerts(
        ctx.em,
        args.status,
        pageSize('first', args.first),
        decodeTimeCursor('after', args.after),
      ),
  }),
  auditRules: t.field({
    type: [AuditRuleRef],
    description: 'The monitoring rules.',
    resolve: (_root, _args, ctx: Context) => listAuditRules(ctx.em),
  }),
}));

builder.mutationFields((t) => ({
  setAuditRule: t.field({
    type: AuditRuleRef,
    description: 'Creates or replaces a monitoring rule. Takes effect within seconds in every service.',
    args: { input: t.arg({ type: AuditRuleInput, required: true }) },
    resolve: async (_root, { input }, ctx: Context) => {
      const rule = await setAuditRule(ctx.em, input, ctx.principal.sub);
      ctx.auditTrail.writer?.rulesChanged();
      return rule;
    },
  }),
  acknowledgeAuditAlert: t.field({
    type: AuditAlertRef,
    description: 'Marks an alert as seen.',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx: Context) => acknowledgeAuditAlert(ctx.em, String(args.id), ctx.principal.sub),
  }),
}));
