import type { Channel, OperationType, Outcome } from '@custos/audit';
import { parseRuleParams, RULE_KINDS, type RuleKind } from '@custos/audit';
import { isoTimestamp, limitRows, Params, query } from '@custos/database';
import {
  type Connection,
  type CursorKey,
  isUuid,
  NotFoundError,
  toConnection,
  ValidationError,
} from '@custos/runtime';
import type { EntityManager } from '@mikro-orm/postgresql';

export interface AuditAccessRow {
  readonly channel: Channel;
  readonly revealedFields: string[];
  readonly redactedFields: string[];
  readonly subjectCount: number;
  /** The contacts this access names that can still be named (an erased contact's link is gone). */
  readonly contactIds: string[];
}

export interface AuditEventRow {
  readonly id: string;
  readonly occurredAt: string;
  readonly service: string;
  readonly actor: string;
  readonly actorRoles: string[];
  readonly purpose: string | null;
  readonly policyVersion: string;
  readonly operationType: OperationType;
  readonly operationName: string | null;
  readonly rootFields: string[];
  readonly requestId: string;
  readonly gatewayRequestId: string | null;
  readonly outcome: Outcome;
  readonly subjectCount: number;
  /** Aggregated refused requests only (operationType `request`). */
  readonly refusalReason: string | null;
  readonly refusals: number | null;
  readonly lastRefusedAt: string | null;
  accesses: AuditAccessRow[];
}

export interface AuditEventFilter {
  readonly contactId?: string | null;
  readonly actor?: string | null;
  readonly purpose?: string | null;
  readonly from?: Date | null;
  readonly to?: Date | null;
}

const EVENT_COLUMNS = `e.id, ${isoTimestamp('e.occurred_at', 'occurredAt')}, e.service, e.actor_sub as actor,
  e.actor_roles as "actorRoles", e.purpose, e.policy_version as "policyVersion",
  e.operation_type as "operationType", e.operation_name as "operationName", e.root_fields as "rootFields",
  e.request_id as "requestId", e.gateway_request_id as "gatewayRequestId", e.outcome,
  e.subjects as "subjectCount", e.refusal_reason as "refusalReason", e.refusals,
  ${isoTimestamp('e.last_refused_at', 'lastRefusedAt')}`;

/**
 * Audit events, newest first, by contact ("who saw this person's data, when, for what"), actor, purpose and
 * time. By contact, each event shows only the accesses that concern that contact, naming only them.
 */
export async function listAuditEvents(
  em: EntityManager,
  filter: AuditEventFilter,
  size: number,
  after: readonly [Date, string] | undefined,
): Promise<Connection<AuditEventRow>> {
  const where: string[] = [];
  const p = new Params();
  let pseudonym: string | undefined;
  if (filter.contactId) {
    if (!isUuid(filter.contactId)) throw new NotFoundError('Contact', 'contactId');
    const [subject] = await query<{ pseudonym: string }>(
      em,
      'select pseudonym from audit_subject where contact_id = $1',
      [filter.contactId],
    );
    // Never seen, or erased: the log no longer names them.
    if (!subject)
      return toConnection<AuditEventRow>(
        [],
        size,
        Boolean(after),
        () => ['', ''],
        async () => 0,
      );
    pseudonym = subject.pseudonym;
    const at = p.add(pseudonym);
    where.push(
      `e.id in (select a.event_id from audit_access a join audit_subject_set s on s.digest = a.subject_set
                 where s.subjects @> array[${at}::uuid]
                union all select a.event_id from audit_access a where a.subjects @> array[${at}::uuid])`,
    );
  }
  if (filter.actor) where.push(`e.actor_sub = ${p.add(filter.actor)}`);
  if (filter.purpose) where.push(`e.purpose = ${p.add(filter.purpose)}`);
  if (filter.from) where.push(`e.occurred_at >= ${p.add(filter.from.toISOString())}`);
  if (filter.to) where.push(`e.occurred_at < ${p.add(filter.to.toISOString())}`);
  if (filter.from && filter.to && filter.from >= filter.to) {
    throw new ValidationError([{ field: 'to', rule: 'after', message: 'must be after from' }]);
  }
  const filtered = [...where];
  const filterParams = [...p.values];
  if (after)
    where.push(`(e.occurred_at, e.id) < (${p.add(after[0].toISOString())}, ${p.add(after[1])}::uuid)`);
  const clause = where.length ? `where ${where.join(' and ')}` : '';
  const rows = await query<AuditEventRow>(
    em,
    `select ${EVENT_COLUMNS} from audit_event e ${clause} order by e.occurred_at desc, e.id desc ${limitRows(size + 1)}`,
    p.values,
    // Filters (who, which purpose, when) decide the best plan: planned at every run (QueryOptions).
    { prepare: filtered.length === 0 },
  );
  const page = rows.slice(0, size);
  await attachAccesses(em, page, pseudonym ?? null);
  return toConnection(
    rows,
    size,
    Boolean(after),
    (row): CursorKey => [row.occurredAt, row.id],
    async () => {
      const [count] = await query<{ n: number }>(
        em,
        `select count(*)::int as n from audit_event e ${filtered.length ? `where ${filtered.join(' and ')}` : ''}`,
        filterParams,
        { prepare: filtered.length === 0 },
      );
      return count?.n ?? 0;
    },
  );
}

/**
 * Sets each event's accesses, in their order; with a contact's `pseudonym`, only the accesses that concern that
 * contact, naming only them.
 */
async function attachAccesses(
  em: EntityManager,
  events: readonly AuditEventRow[],
  pseudonym: string | null,
): Promise<void> {
  if (events.length === 0) return;
  const accesses = await query<AuditAccessRow & { eventId: string }>(
    em,
    `select a.event_id as "eventId", a.channel, a.revealed as "revealedFields", a.redacted as "redactedFields",
            cardinality(coalesce(a.subjects, t.subjects)) as "subjectCount",
            array(select s.contact_id::text from unnest(coalesce(a.subjects, t.subjects)) with ordinality u(p, n)
                    join audit_subject s on s.pseudonym = u.p
                   where $2::uuid is null or u.p = $2::uuid order by u.n) as "contactIds"
       from audit_access a left join audit_subject_set t on t.digest = a.subject_set
      where a.event_id = any($1::uuid[])
        and ($2::uuid is null or coalesce(a.subjects, t.subjects) @> array[$2::uuid])
      order by a.event_id, a.ordinal`,
    [events.map((row) => row.id), pseudonym],
  );
  const byEvent = new Map(events.map((row) => [row.id, row]));
  for (const row of events) row.accesses = [];
  for (const { eventId, ...access } of accesses) byEvent.get(eventId)?.accesses.push(access);
}

/**
 * One audit event by its id, with every access it recorded. NOT_FOUND for an id that is not an event's, a
 * malformed one included (the error names the argument, never its value).
 */
export async function getAuditEvent(em: EntityManager, id: string): Promise<AuditEventRow> {
  if (!isUuid(id)) throw new NotFoundError('AuditEvent', 'id');
  const [event] = await query<AuditEventRow>(
    em,
    `select ${EVENT_COLUMNS} from audit_event e where e.id = $1`,
    [id],
  );
  if (!event) throw new NotFoundError('AuditEvent', 'id');
  await attachAccesses(em, [event], null);
  return event;
}

export interface AuditRuleRow {
  readonly id: string;
  readonly kind: RuleKind;
  readonly description: string;
  readonly params: unknown;
  readonly enabled: boolean;
  readonly updatedAt: string;
  readonly updatedBy: string;
}

const RULE_COLUMNS = `id, kind, description, params, enabled, ${isoTimestamp('updated_at', 'updatedAt')},
  updated_by as "updatedBy"`;

export function listAuditRules(em: EntityManager): Promise<AuditRuleRow[]> {
  return query<AuditRuleRow>(em, `select ${RULE_COLUMNS} from audit_rule order by id`);
}

export interface AuditRuleInput {
  readonly id: string;
  readonly kind: string;
  readonly description: string;
  readonly params: string;
  readonly enabled: boolean;
}

/** Creates or replaces a monitoring rule, validated for its kind. */
export async function setAuditRule(
  em: EntityManager,
  input: AuditRuleInput,
  by: string,
): Promise<AuditRuleRow> {
  const problems: { field: string; rule: string; message: string }[] = [];
  if (!/^[a-z0-9][a-z0-9-]{0,63}$/.test(input.id)) {
    problems.push({
      field: 'id',
      rule: 'format',
      message: 'must be 1-64 lowercase letters, digits or dashes',
    });
  }
  if (!(RULE_KINDS as readonly string[]).includes(input.kind)) {
    problems.push({ field: 'kind', rule: 'oneOf', message: `must be one of ${RULE_KINDS.join(', ')}` });
  }
  const description = input.description.trim();
  if (description.length === 0 || description.length > 500) {
    problems.push({ field: 'description', rule: 'length', message: 'must be 1-500 characters' });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(input.params);
  } catch {
    problems.push({ field: 'params', rule: 'json', message: 'must be a JSON object' });
  }
  if (problems.length > 0) throw new ValidationError(problems);
  const params = parseRuleParams(input.kind as RuleKind, raw);
  const [row] = await query<AuditRuleRow>(
    em,
    `insert into audit_rule (id, kind, description, params, enabled, updated_at, updated_by)
     values ($1, $2, $3, $4::jsonb, $5, now(), $6)
     on conflict (id) do update set kind = excluded.kind, description = excluded.description,
       params = excluded.params, enabled = excluded.enabled, updated_at = excluded.updated_at,
       updated_by = excluded.updated_by
     returning ${RULE_COLUMNS}`,
    [input.id, input.kind, description, JSON.stringify(params), input.enabled, by.slice(0, 200)],
  );
  return row!;
}

export interface AuditAlertRow {
  readonly id: string;
  readonly ruleId: string;
  readonly kind: string;
  readonly actor: string;
  readonly purpose: string | null;
  readonly firedAt: string;
  readonly service: string;
  readonly details: unknown;
  readonly status: 'OPEN' | 'ACKNOWLEDGED';
  readonly acknowledgedBy: string | null;
  readonly acknowledgedAt: string | null;
}

const ALERT_COLUMNS = `id, rule_id as "ruleId", kind, actor_sub as actor, purpose,
  ${isoTimestamp('fired_at', 'firedAt')}, service, details, status, acknowledged_by as "acknowledgedBy",
  ${isoTimestamp('acknowledged_at', 'acknowledgedAt')}`;

export async function listAuditAlerts(
  em: EntityManager,
  status: 'OPEN' | 'ACKNOWLEDGED' | null | undefined,
  size: number,
  after: readonly [Date, string] | undefined,
): Promise<Connection<AuditAlertRow>> {
  const p = new Params();
  const where: string[] = [];
  if (status) where.push(`status = ${p.add(status)}`);
  const filtered = [...where];
  const filterParams = [...p.values];
  if (after) where.push(`(fired_at, id) < (${p.add(after[0].toISOString())}, ${p.add(after[1])}::uuid)`);
  const rows = await query<AuditAlertRow>(
    em,
    `select ${ALERT_COLUMNS} from audit_alert ${where.length ? `where ${where.join(' and ')}` : ''}
      order by fired_at desc, id desc ${limitRows(size + 1)}`,
    p.values,
    { prepare: filtered.length === 0 },
  );
  return toConnection(
    rows,
    size,
    Boolean(after),
    (row): CursorKey => [row.firedAt, row.id],
    async () => {
      const [count] = await query<{ n: number }>(
        em,
        `select count(*)::int as n from audit_alert ${filtered.length ? `where ${filtered.join(' and ')}` : ''}`,
        filterParams,
        { prepare: filtered.length === 0 },
      );
      return count?.n ?? 0;
    },
  );
}

/** Marks an alert as seen by the privacy officer; acknowledging twice keeps the first acknowledgement. */
export async function acknowledgeAuditAlert(
  em: EntityManager,
  id: string,
  by: string,
): Promise<AuditAlertRow> {
  if (!isUuid(id)) throw new NotFoundError('AuditAlert', 'id');
  const [row] = await query<AuditAlertRow>(
    em,
    `update audit_alert set status = 'ACKNOWLEDGED', acknowledged_by = coalesce(acknowledged_by, $2),
       acknowledged_at = coalesce(acknowledged_at, now())
     where id = $1 returning ${ALERT_COLUMNS}`,
    [id, by.slice(0, 200)],
  );
  if (!row) throw new NotFoundError('AuditAlert', 'id');
  return row;
}

/**
 * What an erasure does to the audit trail: the contact's pseudonym link is deleted (and forgotten by this process's
 * writer), so that no event can name them any more, while every event, set and batch — which never held the contact
 * id — stays as it was and the chain still verifies. Returns whether the log had a link to remove. For the erasure
 * workflow of the data-subject requests, inside its transaction.
 */
export async function eraseAuditSubject(
  em: EntityManager,
  contactId: string,
  writer: { forget(contactId: string): void } | undefined,
): Promise<boolean> {
  if (!isUuid(contactId)) return false;
  const removed = await query<{ contact_id: string }>(
    em,
    'delete from audit_subject where contact_id = $1 returning contact_id',
    [contactId],
  );
  writer?.forget(contactId);
  return removed.length > 0;
}
