import { randomUUID } from 'node:crypto';
import { POLICY_VERSION } from '@custos/policy';
import type { Logger } from '@custos/runtime';
import { isUuid } from '@custos/runtime';
import pg from 'pg';
import { type AccessRecord, batchHash, type EventRecord, eventDigest, subjectSetDigest } from './chain.js';
import type { CheckpointLog } from './checkpoints.js';
import { type Alert, Monitor, parseRuleParams, type Rule, type RuleKind } from './monitor.js';
import { fromPending, type PendingJson } from './outbox.js';
import { fieldsOf, type SubjectAccess } from './recorder.js';

/**
 * One operation of one service, as the request left it: what the stored event holds, before the writer gives it
 * an id, the service and policy version, and pseudonymises and groups its subjects.
 */
export type AuditEventInput = Omit<
  EventRecord,
  'id' | 'occurredAt' | 'service' | 'policyVersion' | 'subjects' | 'accesses' | 'lastRefusedAt'
> & {
  /** Given only by the outbox (the pending row's id); otherwise the writer makes one. */
  readonly id?: string;
  /** Given only by the outbox (the service that inserted it); otherwise the writer's. */
  readonly service?: string;
  readonly occurredAt: Date;
  readonly lastRefusedAt?: Date;
  /** Contact id → what the operation did with it. */
  readonly subjects: ReadonlyMap<string, SubjectAccess>;
};

export interface AuditWriterOptions {
  /** The application role's URL: the writer has its own two connections, apart from the request pool. */
  readonly url: string;
  /** The service whose events these are (`custos`, `tickets`). */
  readonly service: string;
  readonly logger: Logger;
  /** Events held in memory before requests wait (back-pressure). A crash loses at most these. */
  readonly bufferMax?: number;
  /** Events per batch (one transaction, one link of the chain). */
  readonly batchMax?: number;
  /** How long an event waits for company before its batch is written. */
  readonly flushMs?: number;
  /** How long a request waits for room in a full buffer before it is refused (AUDIT_UNAVAILABLE). */
  readonly waitMs?: number;
  readonly checkpoints?: CheckpointLog;
  readonly checkpointEveryMs?: number;
  /** Tests only (CUSTOS_TEST_CRASH_AFTER_COMMIT; refused in production): SIGKILL after a mutation's commit. */
  readonly crashAfterCommit?: boolean;
}

/** The buffer stayed full for the whole wait: the request must not be answered with data. */
export class AuditUnavailable extends Error {
  override name = 'AuditUnavailable';
}

/** Serialises every writer of the one chain (all services, all instances, retention). */
export const CHAIN_LOCK = 7_201_124;
const RULES_REFRESH_MS = 30_000;
const PSEUDONYM_CACHE_MAX = 200_000;
const KNOWN_SETS_MAX = 50_000;
/** How often a writer looks for pending events another instance left behind (killed after its commit). */
const PENDING_SWEEP_MS = 5_000;

/** A link of the chain as stored: its events, place and hash, and the subject sets it stored first. */
interface Link {
  readonly prepared: Prepared[];
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
interface Prepared {
  readonly record: EventRecord;
  readonly sets: readonly (readonly [string, string[]])[];
}

interface Waiter {
  readonly event: AuditEventInput;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * Writes audit events off the request path: a request hands its event over (no I/O) and the writer stores the
 * buffer in bulk — one transaction per batch of up to `batchMax` events, every `flushMs` or as soon as a batch
 * is full — as one link of the hash chain. When the buffer is full, requests wait for room (back-pressure) and,
 * after `waitMs`, are refused rather than answered unaudited; nothing is dropped. A crash loses the events in
 * the buffer (at most `bufferMax`, normally those of the last `flushMs`); a clean shutdown writes them all.
 */
export class AuditWriter {
  readonly monitor = new Monitor();
  private readonly pool: pg.Pool;
  private readonly bufferMax: number;
  private readonly batchMax: number;
  private readonly flushMs: number;
  private readonly waitMs: number;
  private readonly checkpointEveryMs: number;
  private buffer: AuditEventInput[] = [];
  private readonly waiters: Waiter[] = [];
  private readonly pseudonyms = new Map<string, string>();
  /** Subject sets this process has stored (content-addressed: never stored twice). */
  private readonly knownSets = new Set<string>();
  private pendingAlerts: Alert[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private rulesLoadedAt = 0;
  /** A rule was edited by a mutation not yet committed (rulesChanged, pendingCommitted). */
  private rulesEdited = false;
  private lastCheckpointAt = 0;
  private head: { seq: number; hash: string } | undefined;
  /** The chain's id (audit_chain), read with the first batch: checkpoints carry it. */
  private chain: string | undefined;
  private checkpointed: number | undefined;
  private failures = 0;
  private closed = false;
  /** Asks to move pending events (audit_pending) into the chain: a drain is due while asked > drained. */
  private pendingAsked = 1;
  private pendingDrained = 0;
  private readonly sweep: NodeJS.Timeout;
  /** Sources that hold events back (the refusal windows): they hand them over on every flush and on close. */
  private readonly beforeFlushing: (() => void)[] = [];

  constructor(private readonly options: AuditWriterOptions) {
    this.pool = new pg.Pool({ connectionString: options.url, max: 2 });
    // An idle connection's error (the server restarting) must not crash the process: the next flush retries.
    this.pool.on('error', () => {});
    this.bufferMax = options.bufferMax ?? 10_000;
    this.batchMax = options.batchMax ?? 500;
    this.flushMs = options.flushMs ?? 200;
    this.waitMs = options.waitMs ?? 5_000;
    this.checkpointEveryMs = options.checkpointEveryMs ?? 10_000;
    // Events a killed instance committed and never chained: moved at start-up, and looked for now and then.
    this.sweep = setInterval(() => this.sweepPending(), PENDING_SWEEP_MS);
    this.sweep.unref();
    setImmediate(() => this.sweepPending());
  }

  /**
   * Looks for pending events: at once when the writer is idle, else with the batch already on its way (the sweep
   * never moves a batch's time).
   */
  private sweepPending(): void {
    if (this.closed) return;
    this.pendingAsked += 1;
    if (!this.timer && !this.running) this.kick();
  }

  /** Runs `fn` at the start of every flush and on close, while the writer still accepts events. */
  beforeFlush(fn: () => void): void {
    this.beforeFlushing.push(fn);
  }

  /** A transaction inserted into audit_pending and committed: chain it soon (within `flushMs`). */
  pendingCommitted(): void {
    if (this.closed) return;
    // A rule edited by this mutation is read again now that it is committed (not by a batch before the commit).
    if (this.rulesEdited) {
      this.rulesEdited = false;
      this.rulesLoadedAt = 0;
    }
    this.pendingAsked += 1;
    this.schedule();
  }

  private get pendingDue(): boolean {
    return this.pendingAsked > this.pendingDrained;
  }

  /** The service whose events these are. */
  get service(): string {
    return this.options.service;
  }

  get crashAfterCommit(): boolean {
    return this.options.crashAfterCommit === true;
  }

  /** Events accepted and not yet stored. */
  get pending(): number {
    return this.buffer.length + this.waiters.length;
  }

  /**
   * Hands an event over. Returns undefined when it was accepted at once (the usual case: no promise, no I/O);
   * otherwise a promise that settles when it was accepted, or rejects with {@link AuditUnavailable}.
   */
  submit(event: AuditEventInput): Promise<void> | undefined {
    if (this.closed) return Promise.reject(new AuditUnavailable('the audit writer is closed'));
    if (this.buffer.length < this.bufferMax && this.waiters.length === 0) {
      this.buffer.push(event);
      this.schedule();
      return undefined;
    }
    this.kick();
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        event,
        resolve,
        reject,
        timer: setTimeout(() => {
          const at = this.waiters.indexOf(waiter);
          if (at >= 0) this.waiters.splice(at, 1);
          reject(new AuditUnavailable('the audit buffer stayed full'));
        }, this.waitMs),
      };
      this.waiters.push(waiter);
    });
  }

  /**
   * Stores everything accepted so far and checkpoints the head (the privacy officer's queries; shutdown).
   * Rejects when the database refuses.
   */
  async flush(): Promise<void> {
    if (!this.closed) for (const fn of this.beforeFlushing) fn();
    // Every pending event too, whoever committed it: what the officer reads next includes them.
    this.pendingAsked += 1;
    while (
      this.pendingDue ||
      this.buffer.length > 0 ||
      this.waiters.length > 0 ||
      this.pendingAlerts.length > 0 ||
      this.running
    ) {
      if (this.running) {
        await this.running.catch(() => {});
        continue;
      }
      this.admitWaiters();
      await this.writeExclusive();
    }
    await this.checkpoint(true);
  }

  /** Writes what is buffered, a last checkpoint, and closes the connections. */
  async close(): Promise<void> {
    if (this.closed) return;
    for (const fn of this.beforeFlushing) fn();
    this.closed = true;
    clearInterval(this.sweep);
    if (this.timer) clearTimeout(this.timer);
    try {
      await this.flush();
    } finally {
      await this.pool.end();
    }
  }

  /**
   * Reloads the monitoring rules at the next batch after the editing mutation commits (an edit in this process;
   * the mutation's transaction commits after its resolver, so a batch in between would read the old rules).
   */
  rulesChanged(): void {
    this.rulesEdited = true;
  }

  /** Forgets a contact's pseudonym (an erasure deleted it from audit_subject). */
  forget(contactId: string): void {
    this.pseudonyms.delete(contactId);
  }

  private schedule(): void {
    if (this.buffer.length >= this.batchMax) {
      this.kick();
      return;
    }
    if (!this.timer && !this.running) {
      this.timer = setTimeout(() => this.kick(), this.flushMs);
      this.timer.unref();
    }
  }

  private kick(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.running) return;
    this.writeExclusive()
      .then(() => {
        this.failures = 0;
      })
      .catch((error: unknown) => {
        this.failures += 1;
        // Never the event's content: it names people and staff.
        this.options.logger.error(
          {
            errorName: error instanceof Error ? error.name : 'unknown',
            pending: this.pending,
            failures: this.failures,
          },
          'audit batch not written; retrying',
        );
      })
      .finally(() => {
        if (this.closed || this.running) return;
        if (
          this.pendingDue ||
          this.buffer.length > 0 ||
          this.waiters.length > 0 ||
          this.pendingAlerts.length > 0
        ) {
          const backoff = this.failures === 0 ? 0 : Math.min(5_000, 100 * 2 ** this.failures);
          if (backoff === 0 && this.buffer.length >= this.batchMax) setImmediate(() => this.kick());
          else {
            this.timer = setTimeout(() => this.kick(), backoff || this.flushMs);
            this.timer.unref();
          }
        }
      });
  }

  /** One write at a time: the background flush and an explicit flush never take the same events twice. */
  private writeExclusive(): Promise<void> {
    if (this.running) return this.running.catch(() => {}).then(() => this.writeExclusive());
    const run = this.write();
    this.running = run;
    const clear = () => {
      if (this.running === run) this.running = undefined;
    };
    run.then(clear, clear);
    return run;
  }

  private admitWaiters(): void {
    while (this.waiters.length > 0 && this.buffer.length < this.bufferMax) {
      const waiter = this.waiters.shift()!;
      clearTimeout(waiter.timer);
      this.buffer.push(waiter.event);
      waiter.resolve();
    }
  }

  /** Writes one batch: pseudonyms, chain link, events and accesses, in one transaction. */
  private async write(): Promise<void> {
    const events = this.buffer.slice(0, this.batchMax);
    if (events.length === 0 && !this.pendingDue) {
      if (this.pendingAlerts.length > 0) await this.writeAlerts();
      return;
    }
    const knew = this.knownSets.size;
    try {
      await this.writeBatch(events);
    } catch (error) {
      // A subject set this process had stored was removed since (retention): the batch failed on its reference,
      // and the cache is now empty — once more, sending every set.
      if ((error as { code?: string }).code === '23503' && knew > 0) await this.writeBatch(events);
      else throw error;
    }
  }

  private async writeBatch(buffered: readonly AuditEventInput[]): Promise<void> {
    const client = await this.pool.connect();
    const asked = this.pendingAsked;
    let stored: Link | undefined;
    let drained = true;
    try {
      await client.query('begin');
      await client.query('select pg_advisory_xact_lock($1)', [CHAIN_LOCK]);
      // Pending events first (they are older), under the chain's lock: no other writer moves the same ones.
      let events = buffered;
      let moved: string[] = [];
      if (this.pendingDue) {
        const { rows: pending } = await client.query<{ id: string; service: string; event: PendingJson }>(
          'select id, service, event from audit_pending order by created_at, id limit $1',
          [this.batchMax],
        );
        drained = pending.length < this.batchMax;
        moved = pending.map((row) => row.id);
        events = [...pending.map(fromPending), ...buffered];
      }
      if (events.length > 0) stored = await this.insertLink(client, events);
      if (moved.length > 0) {
        await client.query('delete from audit_pending where id = any($1::uuid[])', [moved]);
      }
      await this.insertAlerts(client, this.pendingAlerts);
      await client.query('commit');
      this.pendingAlerts = [];
      if (stored) {
        const sets = stored.newSets;
        if (this.knownSets.size + sets.size > KNOWN_SETS_MAX) this.knownSets.clear();
        for (const digest of sets.keys()) this.knownSets.add(digest);
      }
    } catch (error) {
      await client.query('rollback').catch(() => {});
      // A set this process believes stored may have been removed since (retention): send every set next time.
      this.knownSets.clear();
      throw error;
    } finally {
      client.release();
    }
    if (drained && this.pendingDrained < asked) this.pendingDrained = asked;
    this.buffer.splice(0, buffered.length);
    if (!stored) return;
    this.head = { seq: stored.seq, hash: stored.hash };
    this.admitWaiters();
    this.observe(stored.prepared);
    await this.checkpoint(false);
  }

  /** One link of the chain: the batch, its events, subject sets and accesses (in the caller's transaction). */
  private async insertLink(client: pg.PoolClient, events: readonly AuditEventInput[]): Promise<Link> {
    if (!this.chain) {
      this.chain = (await client.query<{ id: string }>('select id from audit_chain limit 1')).rows[0]?.id;
    }
    await this.loadPseudonyms(client, events);
    if (Date.now() - this.rulesLoadedAt > RULES_REFRESH_MS) await this.loadRules(client);
    // The head: the newest batch, or the anchor retention left when it removed every batch.
    const { rows } = await client.query<{ seq: string; hash: string }>(
      `select h.seq, h.hash from (select seq, hash from audit_batch union all select seq, hash from audit_anchor) h
          order by h.seq desc limit 1`,
    );
    const seq = rows[0] ? Number(rows[0].seq) + 1 : 1;
    const prevHash = rows[0]?.hash ?? null;
    const prepared = events.map((event) => this.toRecord(event));
    const records = prepared.map((p) => p.record);
    const digests = records.map(eventDigest);
    // Each distinct subject set once: not those this process already stored, nor twice in one batch.
    const newSets = new Map<string, string[]>();
    for (const { sets } of prepared) {
      for (const [digest, subjects] of sets) if (!this.knownSets.has(digest)) newSets.set(digest, subjects);
    }
    const createdAt = new Date().toISOString();
    const hash = batchHash({
      seq,
      service: this.options.service,
      createdAt,
      prevHash,
      eventDigests: digests,
    });
    await client.query(
      `insert into audit_batch (seq, service, events, created_at, prev_hash, hash) values ($1, $2, $3, $4, $5, $6)`,
      [seq, this.options.service, records.length, createdAt, prevHash, hash],
    );
    await client.query(
      `insert into audit_event (id, batch_seq, idx, occurred_at, service, actor_sub, actor_roles, purpose,
           policy_version, operation_type, operation_name, root_fields, request_id, gateway_request_id, outcome,
           subjects, digest, refusal_reason, refusals, last_refused_at)
         select x.id, $2, x.idx, x.occurred_at, x.service, x.actor_sub, x.actor_roles, x.purpose, x.policy_version,
           x.operation_type, x.operation_name, x.root_fields, x.request_id, x.gateway_request_id, x.outcome,
           x.subjects, x.digest, x.refusal_reason, x.refusals, x.last_refused_at
         from jsonb_to_recordset($1::jsonb) as x(id uuid, idx int, occurred_at timestamptz, service text,
           actor_sub text, actor_roles text[], purpose text, policy_version text, operation_type text,
           operation_name text, root_fields text[], request_id text, gateway_request_id text, outcome text,
           subjects int, digest text, refusal_reason text, refusals int, last_refused_at timestamptz)`,
      [
        JSON.stringify(
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
           from jsonb_to_recordset($1::jsonb) as x(event_id uuid, ordinal int, channel text, revealed text[],
             redacted text[], subject_set text)`,
        [JSON.stringify(accesses)],
      );
    }
    return { prepared, seq, hash, newSets };
  }

  private async writeAlerts(): Promise<void> {
    const alerts = this.pendingAlerts;
    const client = await this.pool.connect();
    try {
      await this.insertAlerts(client, alerts);
      this.pendingAlerts = this.pendingAlerts.filter((alert) => !alerts.includes(alert));
    } finally {
      client.release();
    }
  }

  /** The monitor sees what was stored; its alerts are written with the next transaction, soon. */
  private observe(prepared: readonly Prepared[]): void {
    for (const { record: r, sets } of prepared) {
      const alerts = this.monitor.observe({
        actorSub: r.actorSub,
        purpose: r.purpose,
        occurredAt: new Date(r.occurredAt),
        outcome: r.outcome,
        pseudonyms: sets.length === 1 ? sets[0]![1] : sets.flatMap(([, subjects]) => subjects),
        count: r.refusals ?? 1,
      });
      for (const alert of alerts) {
        this.options.logger.warn({ rule: alert.ruleId, kind: alert.kind }, 'audit monitoring rule fired');
      }
      this.pendingAlerts.push(...alerts);
    }
  }

  private async insertAlerts(client: pg.PoolClient, alerts: readonly Alert[]): Promise<void> {
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
        this.options.service,
      ],
    );
  }

  private async loadRules(client: pg.PoolClient): Promise<void> {
    const { rows } = await client.query<{ id: string; kind: RuleKind; params: unknown; enabled: boolean }>(
      'select id, kind, params, enabled from audit_rule',
    );
    const rules: Rule[] = [];
    for (const row of rows) {
      try {
        rules.push({
          id: row.id,
          kind: row.kind,
          params: parseRuleParams(row.kind, row.params),
          enabled: row.enabled,
        });
      } catch {
        this.options.logger.warn({ rule: row.id }, 'audit monitoring rule has invalid parameters; skipped');
      }
    }
    this.monitor.setRules(rules);
    this.rulesLoadedAt = Date.now();
  }

  /** Gives every contact of `events` a pseudonym (made once, kept in audit_subject). */
  private async loadPseudonyms(client: pg.PoolClient, events: readonly AuditEventInput[]): Promise<void> {
    const missing = new Set<string>();
    for (const event of events) {
      for (const id of event.subjects.keys()) if (!this.pseudonyms.has(id) && isUuid(id)) missing.add(id);
    }
    if (missing.size === 0) return;
    if (this.pseudonyms.size + missing.size > PSEUDONYM_CACHE_MAX) this.pseudonyms.clear();
    const ids = [...missing];
    await client.query(
      `insert into audit_subject (contact_id, pseudonym, created_at)
       select t.c, t.p, now() from unnest($1::uuid[], $2::uuid[]) as t(c, p)
       on conflict (contact_id) do nothing`,
      [ids, ids.map(() => randomUUID())],
    );
    const { rows } = await client.query<{ contact_id: string; pseudonym: string }>(
      'select contact_id, pseudonym from audit_subject where contact_id = any($1::uuid[])',
      [ids],
    );
    for (const row of rows) this.pseudonyms.set(row.contact_id, row.pseudonym);
  }

  /**
   * The stored form of an event: subjects grouped by what reached the caller (usually one group: a page's rows
   * get the same fields), each group a content-addressed subject set.
   */
  private toRecord(event: AuditEventInput): Prepared {
    const groups: Group[] = [];
    let last: Group | undefined;
    for (const [contactId, access] of event.subjects) {
      const pseudonym = this.pseudonyms.get(contactId);
      if (!pseudonym) continue; // not a contact id (a defect upstream): never blocks the chain
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
      const digest = subjectSetDigest(group.subjects);
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
      id: event.id ?? randomUUID(),
      occurredAt: event.occurredAt.toISOString(),
      service: event.service ?? this.options.service,
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
    return { record, sets };
  }

  /** A signed checkpoint of the chain head, every `checkpointEveryMs` (and at shutdown). */
  private async checkpoint(force: boolean): Promise<void> {
    const checkpoints = this.options.checkpoints;
    if (!checkpoints || !this.head || !this.chain || this.checkpointed === this.head.seq) return;
    if (!force && Date.now() - this.lastCheckpointAt < this.checkpointEveryMs) return;
    const head = this.head;
    this.lastCheckpointAt = Date.now();
    try {
      await checkpoints.write(this.chain, head.seq, head.hash);
      this.checkpointed = head.seq;
    } catch (error) {
      this.options.logger.error(
        { errorName: error instanceof Error ? error.name : 'unknown' },
        'audit checkpoint not written',
      );
    }
  }
}
