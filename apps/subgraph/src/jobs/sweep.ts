import { deleteExpiredRateLimits, type Logger } from '@custos/runtime';
import type pg from 'pg';
import { deleteStaleSubmissions, type StaleSubmissions } from '../consent/consent.submissions.js';
import { requeueUntriedMail } from '../mail/mail.jobs.js';
import type { SubgraphJobs } from './queues.js';

/** One sweep at a time across every instance (a transaction-scoped advisory lock). */
export const SWEEP_LOCK_KEY = 'custos.sweep';

export interface SweepOptions {
  /** MAIL_SWEEP_SECONDS: outbox rows younger than this are left to the transaction that wrote them. */
  readonly graceSeconds: number;
  /** CONSENT_SUBMISSION_MAX_AGE: older public submissions are deleted unacted on. */
  readonly submissionMaxAgeSeconds: number;
  /** The rate limiter's clock (ms since the epoch; tests). */
  readonly now?: number;
}

export interface SweepResult {
  /** Outbox rows never tried, without a job, sent to `mail.deliver` again. */
  readonly mailEnqueued: number;
  /** Counts of rate-limit windows long over. */
  readonly rateLimitsDeleted: number;
  /** Public submissions older than CONSENT_SUBMISSION_MAX_AGE, deleted unacted on. */
  readonly staleSubmissions: StaleSubmissions;
}

/**
 * The periodic sweep (every MAIL_SWEEP_SECONDS, in every instance, workers or not: jobs.ts), in one transaction
 * under one advisory lock, so that instances take turns and a sweep sees the tables as one moment:
 * - re-enqueues outbox rows whose job was lost (mail.jobs.ts `requeueUntriedMail`);
 * - deletes the rate limits' windows long over (the limiter itself never deletes: packages/runtime rate-limit.ts);
 * - deletes public submissions nobody processed within CONSENT_SUBMISSION_MAX_AGE (consent.submissions.ts).
 * Every part is idempotent: a second sweep right after finds nothing to do. Returns what it did, or undefined when
 * another instance holds the lock (it is sweeping).
 */
export async function sweep(
  pool: pg.Pool,
  jobs: SubgraphJobs,
  options: SweepOptions,
): Promise<SweepResult | undefined> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    const { rows: locked } = await client.query<{ held: boolean }>(
      'select pg_try_advisory_xact_lock(hashtext($1)) as held',
      [SWEEP_LOCK_KEY],
    );
    if (!locked[0]?.held) {
      await client.query('rollback');
      return undefined;
    }
    const rateLimitsDeleted = await deleteExpiredRateLimits(client, options.now);
    const staleSubmissions = await deleteStaleSubmissions(client, options.submissionMaxAgeSeconds);
    const mailEnqueued = await requeueUntriedMail(client, jobs, options.graceSeconds);
    await client.query('commit');
    return { mailEnqueued, rateLimitsDeleted, staleSubmissions };
  } catch (error) {
    await client.query('rollback').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

/** What a sweep did, in the log: counts only — never an address, a key or an id. */
export function logSweep(logger: Logger, result: SweepResult | undefined): void {
  if (!result) return;
  if (result.mailEnqueued > 0) logger.info({ enqueued: result.mailEnqueued }, 'mail outbox swept');
  if (result.rateLimitsDeleted > 0) {
    logger.debug({ deleted: result.rateLimitsDeleted }, 'expired rate limits deleted');
  }
  const stale = result.staleSubmissions;
  if (stale.deleted > 0) {
    // Not processed in time: an operator should learn why (no instance runs workers? dead letters?).
    logger.warn(
      {
        submissions: stale.deleted,
        granted: stale.granted,
        denied: stale.denied,
        withdrawn: stale.withdrawn,
      },
      'public consent submissions deleted unprocessed (older than CONSENT_SUBMISSION_MAX_AGE)',
    );
  }
}
