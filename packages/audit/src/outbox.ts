import { PERSONAL_FIELD_NAMES, type PersonalField } from '@custos/policy';
import type { EventRecord } from './chain.js';
import { uuidv7 } from './ids.js';
import { type Channel, fieldBit, fieldsOf, type SubjectAccess } from './recorder.js';
import type { AuditEventInput } from './writer.js';

/**
 * The audit outbox (table audit_pending). A mutation's event is inserted by the request in the same transaction
 * as its change: the change and its event commit together or not at all, whatever happens to the process after
 * the commit. The audit writer moves pending events into the hash chain and deletes them in one transaction of
 * its own, under the chain's lock — so each is chained exactly once, by whichever instance gets there first (at
 * start-up, after a mutation, or on its periodic sweep); the chained event keeps the pending row's id.
 *
 * A pending event names contacts by id (as the in-memory buffer does) until it is chained, normally within
 * `AUDIT_FLUSH_MS`; fields travel by name, so that a release that reorders the policy's fields reads them right.
 */

/** Runs one parameterised statement in the caller's transaction. */
export type RunSql = (sql: string, params: unknown[]) => Promise<unknown>;

/** A pending row's `event`: the stored event's own fields, its subjects by contact id and field names. */
type PendingJson = Pick<
  EventRecord,
  | 'occurredAt'
  | 'actorSub'
  | 'actorRoles'
  | 'purpose'
  | 'operationType'
  | 'operationName'
  | 'rootFields'
  | 'requestId'
  | 'gatewayRequestId'
  | 'outcome'
> & {
  /** [contact id, channel, revealed fields, redacted fields]. */
  readonly subjects: readonly (readonly [string, Channel, readonly string[], readonly string[]])[];
};

/** Inserts `event` into the outbox, in the transaction `run` belongs to; returns its id (the chained event's). */
export async function enqueueAuditEvent(
  run: RunSql,
  service: string,
  event: AuditEventInput,
): Promise<string> {
  const id = uuidv7(event.occurredAt.getTime());
  const json: PendingJson = {
    occurredAt: event.occurredAt.toISOString(),
    actorSub: event.actorSub,
    actorRoles: event.actorRoles,
    purpose: event.purpose,
    operationType: event.operationType,
    operationName: event.operationName,
    rootFields: event.rootFields,
    requestId: event.requestId,
    gatewayRequestId: event.gatewayRequestId,
    outcome: event.outcome,
    subjects: [...event.subjects].map(([contactId, access]) => [
      contactId,
      access.channel,
      fieldsOf(access.revealed),
      fieldsOf(access.redacted),
    ]),
  };
  await run(
    'insert into audit_pending (id, created_at, service, event) values ($1, clock_timestamp(), $2, $3::jsonb)',
    [id, service, JSON.stringify(json)],
  );
  return id;
}

const FIELDS: ReadonlySet<string> = new Set(PERSONAL_FIELD_NAMES);

function maskOf(fields: readonly string[]): number {
  let mask = 0;
  for (const field of fields) if (FIELDS.has(field)) mask |= fieldBit(field as PersonalField);
  return mask;
}

/** A pending row as the writer chains it: the row's id and service are the event's. */
export function fromPending(row: { id: string; service: string; event: PendingJson }): AuditEventInput {
  const e = row.event;
  return {
    id: row.id,
    service: row.service,
    occurredAt: new Date(e.occurredAt),
    actorSub: e.actorSub,
    actorRoles: e.actorRoles,
    purpose: e.purpose,
    operationType: e.operationType,
    operationName: e.operationName,
    rootFields: e.rootFields,
    requestId: e.requestId,
    gatewayRequestId: e.gatewayRequestId,
    outcome: e.outcome,
    subjects: new Map<string, SubjectAccess>(
      e.subjects.map(([contactId, channel, revealed, redacted]) => [
        contactId,
        { channel, revealed: maskOf(revealed), redacted: maskOf(redacted) },
      ]),
    ),
  };
}

export type { PendingJson };
