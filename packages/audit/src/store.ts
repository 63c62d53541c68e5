import { POLICY_VERSION } from '@custos/policy';
import { isUuid } from '@custos/runtime';
import type { PoolClient } from 'pg';
import { type AccessRecord, batchHash, type EventRecord, eventDigest, subjectSetDigest } from './chain.js';
import { uuidv7 } from './ids.js';
import type { Alert } from './monitor.js';
import { fieldsOf, type SubjectAccess } from './recorder.js';
import { jsonInSlices, Slices } from './slices.js';
import type { AuditEventInput } from './writer.js';

const PSEUDONYM_CACHE_MAX = 200_000;
const KNOWN_SETS_MAX = 50_000;

/** A link of the chain as stored: its events, place and hash, and the subject sets it stored first. */
export interface StoredLink {
  readonly prepared: PreparedEvent[];
  readonly seq: number;
  readonly hash: string;
  readonly newSets: Map<string, string[]>;
}

/** Subjects that got the same fields the same way in one event. */
interface Group {
  readonly channel: SubjectAccess['channel'];
  readonly revealed: number;
  readonly redacted: number;
  readonly subjects: string[];
}

/** An event ready to store, with its subject sets (digest → pseudonyms). */
export interface PreparedEvent {
  readonly record: EventRecord;
  readonly sets: readonly (readonly [string, string[]])[];
}

/**
 * The SQL that stores the chain, in the writer's transaction: each batch one link (audit_batch) with its events,
 * subject sets and accesses, and the monitor's alerts. Contacts are named by pseudonyms (audit_subject, made once
 * and cached), grouped into content-addressed subject sets, each stored once (the sets this process stored are
 * remembered, and sent again after a failed transaction).
 */
export class BatchStore {
  private readonly pseudonyms = new Map<string, string>();
  /** Subject sets this process has stored (content-addressed: never stored twice). */
  private readonly knownSets = new Set<string>();
  /** The chain's id (audit_chain), read with the first batch: checkpoints carry it. */
  private chainId: string | undefined;
  /** The last subject set digested, and its digest: a client reading the same page again names the same set. */
  private lastSet: readonly string[] = [];
  private lastSetDigest = '';

  /** The service whose events these are (`custos`, `tickets`). */
  constructor(private readonly service: string) {}

  get chain(): string | undefined {
    return this.chainId;
  }

  /** Whether this process remembers having stored any subject set (a batch may refer to one retention removed). */
  get knowsSets(): boolean {
    return this.knownSets.size > 0;
  }

  /** Forgets a contact's pseudonym (an erasure deleted it from audit_subject). */
  forget(contactId: string): void {
    this.pseudonyms.delete(contactId);
  }

  /** Before a link is built: the chain's id (read once). */
  async prepare(client: PoolClient): Promise<void> {
    if (!this.chainId) {
      this.chainId = (await client.query<{ id: string }>('select id from audit_chain limit 1')).rows[0]?.id;
    }
  }

  /** One link of the chain: the batch, its events, subject sets and accesses (in the caller's transaction). */
  async insertLink(client: PoolClient, events: readonly AuditEventInput[]): Promise<StoredLink> {
    // The head: the newest batch, or the anchor retention left when it removed every batch.
    const { rows } = await client.query<{ seq: string; hash: string }>(
      `select h.seq, h.hash from (select seq, hash from audit_batch union all select seq, hash from audit_anchor) h
          order by h.seq desc limit 1`,
    );
    const seq = rows[0] ? Number(rows[0].seq) + 1 : 1;
    const prevHash = rows[0]?.hash ?? null;
    // Bounded: emptied between batches only (a batch's events are grouped against one cache), so it holds at most
    // PSEUDONYM_CACHE_MAX and one batch's new contacts.
    if (this.pseudonyms.size > PSEUDONYM_CACHE_MAX) this.pseudonyms.clear();
    // The batch's CPU work in slices of time, the event loop served between them: a batch of hundreds of events
    // prepared in one go stalls every request waiting behind it (the subgraph's p99, issue 16).
    const slices = new Slices();
    const prepared: PreparedEvent[] = [];
    const digests: string[] = [];
    // Each subject's pseudonym is looked up once, as its event is grouped: the few not cached yet (a contact seen
    // for the first time) are made in one statement, and only their events grouped again.
    const missing = new Set<string>();
    const incomplete: number[] = [];
    for (let at = 0; at < events.length; at++) {
      const one = this.toRecord(events[at]!, missing);
      prepared.push(one);
      if (one.incomplete) incomplete.push(at);
      else digests[at] = eventDigest(one.record);
      await slices.next();
    }
    if (missing.size > 0) {
      await this.loadPseudonyms(client, [...missing]);
      for (const at of incomplete) {
        const one = this.toRecord(events[at]!);
        prepared[at] = one;
        digests[at] = eventDigest(one.record);
        await slices.next();
      }
    }
    const records = prepared.map((p) => p.record);
    // Each distinct subject set once: not those this process already stored, nor twice in one batch.
    const newSets = new Map<string, string[]>();
    for (const { sets } of prepared) {
      for (const [digest, subjects] of sets) if (!this.knownSets.has(digest)) newSets.set(digest, subjects);
    }
    const createdAt = new Date().toISOString();
    const hash = batchHash({
      seq,
      service: this.service,
      createdAt,
      prevHash,
      eventDigests: digests,
    });
    await client.query(
      `insert into audit_batch (seq, service, events, created_at, prev_hash, hash) values ($1, $2, $3, $4, $5, $6)`,
      [seq, this.service, records.length, createdAt, prevHash, hash],
    );
    await client.query(
      `insert into audit_event (id, batch_seq, idx, occurred_at, service, actor_sub, actor_roles, purpose,
           policy_version, operation_type, operation_name, root_fields, request_id, gateway_request_id, outcome,
           subjects, digest, refusal_reason, refusals, last_refused_at)
         select x.id, $2, x.idx, x.occurred_at, x.service, x.actor_sub, x.actor_roles, x.purpose, x.policy_version,
           x.operation_type, x.operation_name, x.root_fields, x.request_id, x.gateway_request_id, x.outcome,
           x.subjects, x.digest, x.refusal_reason, x.refusals, x.last_refused_at
         from json_to_recordset($1::json) as x(id uuid, idx int, occurred_at timestamptz, service text,
           actor_sub text, actor_roles text[], purpose text, policy_version text, operation_type text,
           operation_name text, root_fields text[], request_id text, gateway_request_id text, outcome text,
           subjects int, digest text, refusal_reason text, refusals int, last_refused_at timestamptz)`,
      [
        await jsonInSlices(
          records.map((r, idx) => ({
            id: r.id,
            idx,
            occurred_at: r.occurredAt,
            service: r.service,
            actor_sub: r.actorSub,
            actor_roles: r.actorRoles,
            purpose: r.purpose,
            policy_version: r.policyVersion,
            operation_type: r.operationType,
            operation_name: r.operationName,
            root_fields: r.rootFields,
            request_id: r.requestId,
            gateway_request_id: r.gatewayRequestId,
            outcome: r.outcome,
            subjects: r.subjects,
            digest: digests[idx],
            refusal_reason: r.refusalReason ?? null,
            refusals: r.refusals ?? null,
            last_refused_at: r.lastRefusedAt ?? null,
          })),
          slices,
        ),
        seq,
      ],
    );
    if (newSets.size > 0) {
      await client.query(
        `insert into audit_subject_set (digest, subjects, created_at)
           select x.digest, x.subjects, now() from jsonb_to_recordset($1::jsonb) as x(digest text, subjects uuid[])
           on conflict (digest) do nothing`,
        [JSON.stringify([...newSets].map(([digest, subjects]) => ({ digest, subjects })))],
      );
    }
    const accesses = records.flatMap((r) =>
      r.accesses.map((a) => ({
        event_id: r.id,
        ordinal: a.ordinal,
        channel: a.channel,
        revealed: a.revealed,
        redacted: a.redacted,
        subject_set: a.subjectSet,
      })),
    );
    if (accesses.length > 0) {
      await client.query(
        `insert into audit_access (event_id, ordinal, channel, revealed, redacted, subject_set)
           select x.event_id, x.ordinal, x.channel, x.revealed, x.redacted, x.subject_set
           from json_to_recordset($1::json) as x(event_id uuid, ordinal int, channel text, revealed text[],
             redacted text[], subject_set text)`,
        [await jsonInSlices(accesses, slices)],
      );
    }
    return { prepared, seq, hash, newSets };
  }

  /** The link's transaction committed: its subject sets are stored. */
  committed(link: StoredLink): void {
    const sets = link.newSets;
    if (this.knownSets.size + sets.size > KNOWN_SETS_MAX) this.knownSets.clear();
    for (const digest of sets.keys()) this.knownSets.add(digest);
  }

  /** A transaction failed: a set this process believes stored may have been removed since (retention). */
  forgetSets(): void {
    this.knownSets.clear();
  }

  /**
   * {@link subjectSetDigest} of `subjects`, reusing the last one's when the set is the same (the same pseudonyms in
   * the same order: usually the same cached strings, compared by reference first). A list read again and again
   * (a queue polled, the bench's page) then costs no join of its pseudonyms and no hash (issue 16).
   */
  private setDigest(subjects: readonly string[]): string {
    const last = this.lastSet;
    if (subjects.length === last.length && subjects.length > 0) {
      let same = true;
      for (let i = 0; i < subjects.length; i++) {
        if (subjects[i] !== last[i]) {
          same = false;
          break;
        }
      }
      if (same) return this.lastSetDigest;
    }
    const digest = subjectSetDigest(subjects);
    this.lastSet = subjects;
    this.lastSetDigest = digest;
    return digest;
  }

  /**
   * Gives each of `ids` (contact ids not cached) a pseudonym: made once, kept in audit_subject. Through the
   * owner's function `audit_writer.pseudonyms` (migration AuditPseudonyms): it answers for the ids it is given only, so
   * that a service that merely appends to the trail (tickets, the gateway) never holds SELECT on audit_subject —
   * the map of every audited contact id to its pseudonym.
   */
  private async loadPseudonyms(client: PoolClient, ids: readonly string[]): Promise<void> {
    const { rows } = await client.query<{ contact_id: string; pseudonym: string }>(
      'select contact_id, pseudonym from audit_writer.pseudonyms($1::uuid[])',
      [ids],
    );
    for (const row of rows) this.pseudonyms.set(row.contact_id, row.pseudonym);
  }

  /**
   * The stored form of an event: subjects grouped by what reached the caller (usually one group: a page's rows
   * get the same fields), each group a content-addressed subject set.
   */
  private toRecord(event: AuditEventInput, missing?: Set<string>): PreparedEvent & { incomplete?: true } {
    const groups: Group[] = [];
    let last: Group | undefined;
    let incomplete = false;
    let lastAccess: SubjectAccess | undefined;
    for (const [contactId, access] of event.subjects) {
      const pseudonym = this.pseudonyms.get(contactId);
      if (!pseudonym) {
        // Not cached yet: made before the event is grouped again. Not a contact id (a defect upstream): left
        // out, never blocking the chain.
        if (missing && isUuid(contactId)) {
          missing.add(contactId);
          incomplete = true;
        }
        continue;
      }
      // The recorder shares one entry between the subjects that got the same: usually the same as the last.
      if (access === lastAccess) {
        last!.subjects.push(pseudonym);
        continue;
      }
      lastAccess = access;
      if (
        !last ||
        last.channel !== access.channel ||
        last.revealed !== access.revealed ||
        last.redacted !== access.redacted
      ) {
        last = groups.find(
          (g) =>
            g.channel === access.channel && g.revealed === access.revealed && g.redacted === access.redacted,
        );
        if (!last) {
          last = {
            channel: access.channel,
            revealed: access.revealed,
            redacted: access.redacted,
            subjects: [],
          };
          groups.push(last);
        }
      }
      last.subjects.push(pseudonym);
    }
    const sets: [string, string[]][] = [];
    let subjects = 0;
    const accesses: AccessRecord[] = groups.map((group, ordinal) => {
      const digest = this.setDigest(group.subjects);
      sets.push([digest, group.subjects]);
      subjects += group.subjects.length;
      return {
        ordinal,
        channel: group.channel,
        revealed: fieldsOf(group.revealed),
        redacted: fieldsOf(group.redacted),
        subjectSet: digest,
      };
    });
    const record: EventRecord = {
      id: event.id ?? uuidv7(event.occurredAt.getTime()),
      occurredAt: event.occurredAt.toISOString(),
      service: event.service ?? this.service,
      actorSub: event.actorSub.slice(0, 200),
      actorRoles: event.actorRoles,
      purpose: event.purpose,
      policyVersion: POLICY_VERSION,
      operationType: event.operationType,
      operationName: event.operationName?.slice(0, 100) ?? null,
      rootFields: event.rootFields,
      requestId: event.requestId,
      gatewayRequestId: event.gatewayRequestId,
      outcome: event.outcome,
      subjects,
      accesses,
      ...(event.refusals === undefined
        ? {}
        : {
            refusalReason: event.refusalReason,
            refusals: event.refusals,
            lastRefusedAt: (event.lastRefusedAt ?? event.occurredAt).toISOString(),
          }),
    };
    return incomplete ? { record, sets, incomplete } : { record, sets };
  }
}

/** Stores the monitor's alerts (raised by `service`'s writer), in the caller's transaction. */
export async function insertAlerts(
  client: PoolClient,
  service: string,
  alerts: readonly Alert[],
): Promise<void> {
  if (alerts.length === 0) return;
  await client.query(
    `insert into audit_alert (id, rule_id, kind, actor_sub, purpose, fired_at, service, details, status)
     select x.id, x.rule_id, x.kind, x.actor_sub, x.purpose, x.fired_at, $2, x.details, 'OPEN'
     from jsonb_to_recordset($1::jsonb) as x(id uuid, rule_id text, kind text, actor_sub text, purpose text,
       fired_at timestamptz, details jsonb)
     on conflict (id) do nothing`,
    [
      JSON.stringify(
        alerts.map((a) => ({
          id: a.id,
          rule_id: a.ruleId,
          kind: a.kind,
          actor_sub: a.actorSub,
          purpose: a.purpose,
          fired_at: a.firedAt.toISOString(),
          details: a.details,
        })),
      ),
      service,
    ],
  );
}
