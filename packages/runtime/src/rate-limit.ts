import { createHmac } from 'node:crypto';
import type pg from 'pg';
import { RateLimiterMemory, RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import type { Logger } from './logger.js';

/**
 * The table the shared rate limits count in (rate-limiter-flexible's layout). Created by the owner in the Custos
 * subgraph's migrations (never by the limiter: the application role creates nothing); frozen as that migration ran
 * it. Keys are keyed hashes of client addresses, never the addresses. Windows long over are deleted by
 * {@link deleteExpiredRateLimits} (the Custos subgraph's periodic sweep).
 */
export const RATE_LIMIT_TABLE = 'rate_limit';
export const RATE_LIMIT_DDL: readonly string[] = [
  `create table ${RATE_LIMIT_TABLE} (key varchar(255) primary key, points integer not null default 0, expire bigint)`,
];

export interface RateLimit {
  /** Seconds to wait before the client may try again; 0 when this request may go ahead (and is counted). */
  take(clientAddress: string): Promise<number>;
}

export interface RateLimitOptions {
  /** The pool the counts go through: every instance on the same database shares one budget per client. */
  readonly pool: pg.Pool;
  /** Which limit (one budget per name and client). */
  readonly name: string;
  readonly perMinute: number;
  /** Keys the hash of a client address (no address is stored). */
  readonly hmacKey: Buffer;
  readonly logger: Logger;
}

/**
 * A fixed-window limit per client address and minute, counted in PostgreSQL so that every instance shares it
 * (rate-limiter-flexible's RateLimiterPostgres). Should the database not answer, each instance falls back to a
 * budget of its own in memory (logged by name) rather than letting everything through or refusing everyone.
 */
export function createRateLimit(options: RateLimitOptions): RateLimit {
  const insurance = new RateLimiterMemory({ points: options.perMinute, duration: 60 });
  const limiter = new RateLimiterPostgres({
    storeClient: options.pool,
    storeType: 'pool',
    tableName: RATE_LIMIT_TABLE,
    tableCreated: true,
    clearExpiredByTimeout: false,
    keyPrefix: options.name,
    points: options.perMinute,
    duration: 60,
    insuranceLimiter: insurance,
  });
  return {
    async take(clientAddress) {
      const key = createHmac('sha256', options.hmacKey).update(clientAddress).digest('base64url');
      try {
        await limiter.consume(key, 1);
        return 0;
      } catch (refusal) {
        if (refusal instanceof RateLimiterRes) return Math.max(1, Math.ceil(refusal.msBeforeNext / 1000));
        options.logger.warn(
          { errorName: refusal instanceof Error ? refusal.name : 'unknown' },
          'rate limit failed',
        );
        return 0;
      }
    },
  };
}

/**
 * How long after its window ended a count is kept before {@link deleteExpiredRateLimits} removes it: the limiter
 * compares windows with each instance's own clock, so a count is only deleted once every instance whose clock is
 * up to this far behind also sees its window over (rate-limiter-flexible's own sweep keeps the same hour).
 */
export const RATE_LIMIT_EXPIRED_GRACE_MS = 3_600_000;

/**
 * Deletes the counts of windows that ended more than `graceMs` before `now` (ms since the epoch, the limiter's
 * clock) — the limiter never does (`clearExpiredByTimeout: false`: no timer in every process), so the periodic
 * sweep calls this under its lock. Idempotent; a client whose window is over starts a new one either way.
 * Returns how many were deleted.
 */
export async function deleteExpiredRateLimits(
  db: Pick<pg.ClientBase, 'query'>,
  now: number = Date.now(),
  graceMs: number = RATE_LIMIT_EXPIRED_GRACE_MS,
): Promise<number> {
  const result = await db.query(`delete from ${RATE_LIMIT_TABLE} where expire < $1`, [now - graceMs]);
  return result.rowCount ?? 0;
}
