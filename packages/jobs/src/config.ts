import { ConfigError, type Env, envReader } from '@custos/runtime';

/**
 * The job queue's settings (`JOBS_*`), read from the environment once at start and checked like the service
 * configuration (packages/runtime config.ts): each bad value is reported by name and rule, never by value.
 */
export interface JobsConfig {
  /** JOBS_WORKERS: `1` runs this instance's workers; `0` only enqueues, lists and re-drives. */
  readonly workers: boolean;
  /** JOBS_CONCURRENCY: jobs of one queue that one instance runs at the same time. */
  readonly concurrency: number;
  /** JOBS_POLL_MS: how often an idle worker asks for a job. */
  readonly pollMs: number;
  /** JOBS_POOL_MAX: the queue's own connections (pg-boss' pool) per instance. */
  readonly poolMax: number;
  /** Retries after the first attempt, then the job goes to its queue's dead letters (JOBS_RETRY_LIMIT). */
  readonly retryLimit: number;
  /** The first retry's delay; each further retry waits about twice as long (JOBS_RETRY_DELAY_SECONDS)… */
  readonly retryDelaySeconds: number;
  /** … up to this (JOBS_RETRY_DELAY_MAX_SECONDS). */
  readonly retryDelayMaxSeconds: number;
  /** JOBS_EXPIRE_SECONDS: the longest one attempt may run; then it counts as failed and is retried. */
  readonly expireSeconds: number;
  /**
   * JOBS_HEARTBEAT_SECONDS: a running job is touched every half of this; one not touched for this long (its
   * process was killed) is failed and retried by any instance's supervisor. 0: no heartbeat (expiry only).
   */
  readonly heartbeatSeconds: number;
  /** JOBS_SUPERVISE_SECONDS: how often an instance looks for expired and abandoned jobs. */
  readonly superviseSeconds: number;
  /** JOBS_STOP_TIMEOUT_MS: how long stop() lets running jobs finish before releasing them for a retry. */
  readonly stopTimeoutMs: number;
  /** JOBS_DEAD_LETTER_DAYS: how long a dead letter is kept for compliance to list and re-drive. */
  readonly deadLetterDays: number;
}

/** The defaults, as documented in packages/jobs/README.md. */
export const JOBS_DEFAULTS: JobsConfig = {
  workers: true,
  concurrency: 2,
  pollMs: 2000,
  poolMax: 5,
  retryLimit: 5,
  retryDelaySeconds: 10,
  retryDelayMaxSeconds: 3600,
  expireSeconds: 900,
  heartbeatSeconds: 30,
  superviseSeconds: 30,
  stopTimeoutMs: 30_000,
  deadLetterDays: 30,
};

/** The queue's settings from `env`; throws ConfigError listing every bad one. */
export function loadJobsConfig(env: Env = process.env): JobsConfig {
  const problems: string[] = [];
  const { get, int } = envReader(env, problems);
  const d = JOBS_DEFAULTS;
  const workersRaw = get('JOBS_WORKERS');
  if (workersRaw !== undefined && workersRaw !== '0' && workersRaw !== '1') {
    problems.push('JOBS_WORKERS: must be 0 or 1');
  }
  const heartbeatSeconds = int('JOBS_HEARTBEAT_SECONDS', d.heartbeatSeconds, 0, 3600);
  // pg-boss refuses a heartbeat below 10 seconds.
  if (heartbeatSeconds > 0 && heartbeatSeconds < 10) {
    problems.push('JOBS_HEARTBEAT_SECONDS: must be 0 (off) or a whole number from 10 to 3600');
  }
  const retryDelaySeconds = int('JOBS_RETRY_DELAY_SECONDS', d.retryDelaySeconds, 1, 86_400);
  const retryDelayMaxSeconds = int('JOBS_RETRY_DELAY_MAX_SECONDS', d.retryDelayMaxSeconds, 1, 86_400);
  if (retryDelayMaxSeconds < retryDelaySeconds) {
    problems.push('JOBS_RETRY_DELAY_MAX_SECONDS: must be at least JOBS_RETRY_DELAY_SECONDS');
  }
  const config: JobsConfig = {
    workers: workersRaw !== '0',
    concurrency: int('JOBS_CONCURRENCY', d.concurrency, 1, 64),
    pollMs: int('JOBS_POLL_MS', d.pollMs, 500, 60_000),
    poolMax: int('JOBS_POOL_MAX', d.poolMax, 2, 100),
    retryLimit: int('JOBS_RETRY_LIMIT', d.retryLimit, 0, 100),
    retryDelaySeconds,
    retryDelayMaxSeconds,
    // pg-boss allows at most 24 hours.
    expireSeconds: int('JOBS_EXPIRE_SECONDS', d.expireSeconds, 1, 86_400),
    heartbeatSeconds,
    superviseSeconds: int('JOBS_SUPERVISE_SECONDS', d.superviseSeconds, 1, 3600),
    stopTimeoutMs: int('JOBS_STOP_TIMEOUT_MS', d.stopTimeoutMs, 1000, 600_000),
    deadLetterDays: int('JOBS_DEAD_LETTER_DAYS', d.deadLetterDays, 1, 3650),
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
