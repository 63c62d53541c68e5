import type { Logger } from '@custos/runtime';
import pg from 'pg';
import { AlertQueue } from './alerts.js';
import { AuditBuffer, AuditUnavailable } from './buffer.js';
import type { EventRecord } from './chain.js';
import { type CheckpointLog, CheckpointSchedule } from './checkpoints.js';
import { deletePending, PendingDrain, takePending } from './drain.js';
import type { Monitor } from './monitor.js';
import type { SubjectAccess } from './recorder.js';
import { BatchStore, insertAlerts, type StoredLink } from './store.js';

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
  /**
   * Whether this writer moves the audit outbox (audit_pending: mutations' events, naming contacts by id, actor and
   * purpose) into the chain: Custos' writers do (true, the default: its application role may read and delete
   * there). A service that only appends to the trail (tickets, the gateway: AUDIT_WRITER_GRANTS) has no mutation,
   * inserts nothing there and may not read it — its writer leaves the outbox to Custos' (false).
   */
  readonly drainsOutbox?: boolean;
}

/** Serialises every writer of the one chain (all services, all instances, retention). */
export const CHAIN_LOCK = 7_201_124;

/**
 * Writes audit events off the request path: a request hands its event over (no I/O) and the writer stores the
 * buffer in bulk — one transaction per batch of up to `batchMax` events, every `flushMs` or as soon as a batch
 * is full — as one link of the hash chain. When the buffer is full, requests wait for room (back-pressure) and,
 * after `waitMs`, are refused rather than answered unaudited; nothing is dropped. A crash loses the events in
 * the buffer (at most `bufferMax`, normally those of the last `flushMs`); a clean shutdown writes them all.
 */
export class AuditWriter {
  private readonly pool: pg.Pool;
  private readonly batchMax: number;
  private readonly flushMs: number;
  private readonly buffer: AuditBuffer;
  private readonly store: BatchStore;
  private readonly alerts: AlertQueue;
  /** The outbox's drain, for a writer that moves it (`drainsOutbox`). */
  private readonly drain: PendingDrain | undefined;
  private readonly checkpoints: CheckpointSchedule;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private failures = 0;
  private closed = false;
  /** Sources that hold events back (the refusal windows): they hand them over on every flush and on close. */
  private readonly beforeFlushing: (() => void)[] = [];

  constructor(private readonly options: AuditWriterOptions) {
    this.pool = new pg.Pool({ connectionString: options.url, max: 2 });
    // An idle connection's error (the server restarting) must not crash the process: the next flush retries.
    this.pool.on('error', () => {});
    this.buffer = new AuditBuffer(options.bufferMax ?? 10_000, options.waitMs ?? 5_000);
    this.batchMax = options.batchMax ?? 500;
    this.flushMs = options.flushMs ?? 200;
    this.store = new BatchStore(options.service);
    this.alerts = new AlertQueue(options.logger);
    this.checkpoints = new CheckpointSchedule(
      options.checkpoints,
      options.checkpointEveryMs ?? 10_000,
      options.logger,
    );
    // Events a killed instance committed and never chained: moved at start-up, and looked for now and then.
    this.drain = options.drainsOutbox === false ? undefined : new PendingDrain(() => this.sweepPending());
  }

  /** The monitoring rules evaluated as events are stored. */
  get monitor(): Monitor {
    return this.alerts.monitor;
  }

  /**
   * Looks for pending events: at once when the writer is idle, else with the batch already on its way (the sweep
   * never moves a batch's time).
   */
  private sweepPending(): void {
    if (this.closed || !this.drain) return;
    this.drain.ask();
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
    this.alerts.committed();
    this.drain?.ask();
    this.schedule();
  }

  /** Whether anything is left to write: pending events, buffered or waiting ones, alerts. */
  private get due(): boolean {
    return this.drainDue || this.buffer.pending > 0 || this.alerts.queued.length > 0;
  }

  /** Whether this writer moves the outbox and a drain is due. */
  private get drainDue(): boolean {
    return this.drain?.due === true;
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
    return this.buffer.pending;
  }

  /**
   * Hands an event over. Returns undefined when it was accepted at once (the usual case: no promise, no I/O);
   * otherwise a promise that settles when it was accepted, or rejects with {@link AuditUnavailable}.
   */
  submit(event: AuditEventInput): Promise<void> | undefined {
    if (this.closed) return Promise.reject(new AuditUnavailable('the audit writer is closed'));
    if (this.buffer.add(event)) {
      this.schedule();
      return undefined;
    }
    this.kick();
    return this.buffer.wait(event);
  }

  /**
   * Stores everything accepted so far and checkpoints the head (the privacy officer's queries; shutdown).
   * Rejects when the database refuses.
   */
  async flush(): Promise<void> {
    if (!this.closed) for (const fn of this.beforeFlushing) fn();
    // Every pending event too, whoever committed it: what the officer reads next includes them.
    this.drain?.ask();
    while (this.due || this.running) {
      if (this.running) {
        await this.running.catch(() => {});
        continue;
      }
      this.buffer.admit();
      await this.writeExclusive();
    }
    await this.checkpoints.checkpoint(true);
  }

  /** Writes what is buffered, a last checkpoint, and closes the connections. */
  async close(): Promise<void> {
    if (this.closed) return;
    for (const fn of this.beforeFlushing) fn();
    this.closed = true;
    this.drain?.stop();
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
    this.alerts.rulesChanged();
  }

  /** Forgets a contact's pseudonym (an erasure deleted it from audit_subject). */
  forget(contactId: string): void {
    this.store.forget(contactId);
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
        if (this.due) {
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

  /** Writes one batch: pseudonyms, chain link, events and accesses, in one transaction. */
  private async write(): Promise<void> {
    const events = this.buffer.peek(this.batchMax);
    if (events.length === 0 && !this.drainDue) {
      if (this.alerts.queued.length > 0) await this.writeAlerts();
      return;
    }
    const knew = this.store.knowsSets;
    try {
      await this.writeBatch(events);
    } catch (error) {
      // A subject set this process had stored was removed since (retention): the batch failed on its reference,
      // and the cache is now empty — once more, sending every set.
      if ((error as { code?: string }).code === '23503' && knew) await this.writeBatch(events);
      else throw error;
    }
  }

  private async writeBatch(buffered: readonly AuditEventInput[]): Promise<void> {
    const client = await this.pool.connect();
    const asked = this.drain?.asks ?? 0;
    let stored: StoredLink | undefined;
    let drained = true;
    try {
      await client.query('begin');
      await client.query('select pg_advisory_xact_lock($1)', [CHAIN_LOCK]);
      // Pending events first (they are older), under the chain's lock: no other writer moves the same ones.
      let events = buffered;
      let moved: string[] = [];
      if (this.drainDue) {
        const pending = await takePending(client, this.batchMax);
        drained = pending.ids.length < this.batchMax;
        moved = pending.ids;
        events = [...pending.events, ...buffered];
      }
      if (events.length > 0) stored = await this.insertLink(client, events);
      if (moved.length > 0) await deletePending(client, moved);
      const alerts = this.alerts.queued;
      await insertAlerts(client, this.options.service, alerts);
      await client.query('commit');
      this.alerts.stored(alerts);
      if (stored) this.store.committed(stored);
    } catch (error) {
      await client.query('rollback').catch(() => {});
      // A set this process believes stored may have been removed since (retention): send every set next time.
      this.store.forgetSets();
      throw error;
    } finally {
      client.release();
    }
    if (drained) this.drain?.done(asked);
    this.buffer.drop(buffered.length);
    if (!stored) return;
    this.checkpoints.advance(this.store.chain, stored.seq, stored.hash);
    this.buffer.admit();
    await this.alerts.observe(stored.prepared);
    await this.checkpoints.checkpoint(false);
  }

  /** One link of the chain, in the caller's transaction: pseudonyms first, the rules when due, then the link. */
  private async insertLink(client: pg.PoolClient, events: readonly AuditEventInput[]): Promise<StoredLink> {
    await this.store.prepare(client);
    await this.alerts.refreshRules(client);
    return this.store.insertLink(client, events);
  }

  private async writeAlerts(): Promise<void> {
    const alerts = this.alerts.queued;
    const client = await this.pool.connect();
    try {
      await insertAlerts(client, this.options.service, alerts);
      this.alerts.stored(alerts);
    } finally {
      client.release();
    }
  }
}
