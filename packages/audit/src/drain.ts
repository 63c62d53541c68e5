import type { PoolClient } from 'pg';
import { fromPending, type PendingJson } from './outbox.js';
import type { AuditEventInput } from './writer.js';

/** How often a writer looks for pending events another instance left behind (killed after its commit). */
const PENDING_SWEEP_MS = 5_000;

/**
 * When a writer moves the outbox (audit_pending, outbox.ts) into the chain: a drain is due while it was asked for
 * (a mutation committed, a flush, the periodic sweep, start-up) more often than done. A drain is done when a
 * batch took every pending event there was; asks made while that batch was written stay due.
 */
export class PendingDrain {
  /** Asks to move pending events into the chain: a drain is due while asked > drained. */
  private asked = 1;
  private drained = 0;
  private readonly sweep: NodeJS.Timeout;

  /**
   * Events a killed instance committed and never chained: `sweep` is called at start-up, and every few seconds
   * until {@link stop}.
   */
  constructor(sweep: () => void) {
    this.sweep = setInterval(sweep, PENDING_SWEEP_MS);
    this.sweep.unref();
    setImmediate(sweep);
  }

  get due(): boolean {
    return this.asked > this.drained;
  }

  /** How many drains were asked for so far: a batch that takes every pending event does them all. */
  get asks(): number {
    return this.asked;
  }

  ask(): void {
    this.asked += 1;
  }

  /** A batch begun after `asks` asks took every pending event there was. */
  done(asks: number): void {
    if (this.drained < asks) this.drained = asks;
  }

  stop(): void {
    clearInterval(this.sweep);
  }
}

/**
 * Up to `limit` pending events, oldest first, to chain in the caller's transaction under the chain's lock (so no
 * other writer moves the same ones); {@link deletePending} removes them in that same transaction.
 */
export async function takePending(
  client: PoolClient,
  limit: number,
): Promise<{ readonly ids: string[]; readonly events: AuditEventInput[] }> {
  const { rows } = await client.query<{ id: string; service: string; event: PendingJson }>(
    'select id, service, event from audit_pending order by created_at, id limit $1',
    [limit],
  );
  return { ids: rows.map((row) => row.id), events: rows.map(fromPending) };
}

/** Deletes the pending events a batch chained (their ids). */
export async function deletePending(client: PoolClient, ids: readonly string[]): Promise<void> {
  await client.query('delete from audit_pending where id = any($1::uuid[])', [ids]);
}
