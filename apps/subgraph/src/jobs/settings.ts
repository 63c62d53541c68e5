import { type JobsConfig, loadJobsConfig } from '@custos/jobs';
import { type MailConfig, readMailConfig } from '@custos/mail';
import { type Config, ConfigError, type Env, envReader, isLoopback } from '@custos/runtime';

/** The job queue's and the mail's settings (README, configuration), read with the rest at start. */
export interface ChannelSettings {
  readonly jobs: JobsConfig;
  readonly mail: MailConfig;
  /**
   * MAIL_SWEEP_SECONDS: how often the periodic sweep runs (in every instance, one at a time: jobs/sweep.ts). It
   * re-enqueues outbox rows never tried that have no job (older than this, so that a row whose transaction is
   * still sending its job is left alone), deletes the rate limits' expired windows, and deletes public
   * submissions older than CONSENT_SUBMISSION_MAX_AGE.
   */
  readonly mailSweepSeconds: number;
  readonly consent: ConsentChannelSettings;
}

/** The double opt-in's settings (README, "Consent from public forms"). */
export interface ConsentChannelSettings {
  /**
   * PUBLIC_BASE_URL: where data subjects reach `/public/*` (the gateway, or this service), without a trailing
   * slash; the confirmation links start with it. Required in production (https); development defaults to this
   * service's own address.
   */
  readonly publicBaseUrl: string;
  /** CONSENT_CONFIRM_TTL: how long a confirmation link works (`48h` by default; `90m`, `2d`, `3600s`). */
  readonly confirmTtlSeconds: number;
  /** CONSENT_CONFIRM_MAX_ATTEMPTS: wrong tokens for one link before it is locked (default 5). */
  readonly maxAttempts: number;
  /**
   * CONSENT_CONFIRM_RESEND_SECONDS: while a link for the same contact and purpose is pending and younger than
   * this, a new grant from the form sends no second mail (default 900): posting somebody's address in a loop
   * does not flood their mailbox.
   */
  readonly resendSeconds: number;
  /**
   * CONSENT_SUBMISSION_MAX_AGE: the longest a public form's post (it holds the typed address) is kept unprocessed
   * (`7d` by default; 1 hour to 30 days). Its job normally acts on it within seconds, and its retries end within
   * minutes; one still there after this long (no instance runs workers, or its job is a dead letter nobody
   * re-drove) is deleted by the sweep unacted on — nothing recorded, nothing mailed — and counted in a warning.
   */
  readonly submissionMaxAgeSeconds: number;
}

const DURATION = /^(\d{1,7})([smhd]?)$/;
const UNIT_SECONDS: Readonly<Record<string, number>> = { '': 1, s: 1, m: 60, h: 3600, d: 86_400 };

/** A duration like `48h`, `90m`, `2d` or `3600` (seconds), within [min, max] seconds; else a named problem. */
function duration(
  get: (name: string) => string | undefined,
  problems: string[],
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = get(name);
  if (raw === undefined) return fallback;
  const match = DURATION.exec(raw);
  const seconds = match ? Number(match[1]) * (UNIT_SECONDS[match[2] ?? ''] ?? 1) : Number.NaN;
  if (!(seconds >= min && seconds <= max)) {
    problems.push(
      `${name}: must be a duration like 48h, 90m or 2d, from ${min / 60} minutes to ${max / 86_400} days`,
    );
    return fallback;
  }
  return seconds;
}

function consentSettings(
  env: Env,
  config: Pick<Config, 'production'> & { readonly port?: number },
  problems: string[],
): ConsentChannelSettings {
  const { get, int } = envReader(env, problems);
  let publicBaseUrl = `http://localhost:${config.port ?? 4001}`;
  const raw = get('PUBLIC_BASE_URL');
  if (raw !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(raw);
    } catch {
      url = undefined;
    }
    if (!url || !(url.protocol === 'https:' || (url.protocol === 'http:' && isLoopback(url.hostname)))) {
      problems.push('PUBLIC_BASE_URL: must be an https URL (http only on a loopback host)');
    } else if (url.search || url.hash || url.username || url.password) {
      problems.push('PUBLIC_BASE_URL: must have no query, fragment or credentials');
    } else {
      publicBaseUrl = `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
    }
  } else if (config.production) {
    problems.push(
      'PUBLIC_BASE_URL: required when NODE_ENV=production (the links in confirmation mail start with it)',
    );
  }
  return {
    publicBaseUrl,
    confirmTtlSeconds: duration(get, problems, 'CONSENT_CONFIRM_TTL', 48 * 3600, 300, 30 * 86_400),
    maxAttempts: int('CONSENT_CONFIRM_MAX_ATTEMPTS', 5, 1, 100),
    resendSeconds: int('CONSENT_CONFIRM_RESEND_SECONDS', 900, 0, 86_400),
    submissionMaxAgeSeconds: duration(
      get,
      problems,
      'CONSENT_SUBMISSION_MAX_AGE',
      7 * 86_400,
      3600,
      30 * 86_400,
    ),
  };
}

/**
 * Reads JOBS_*, SMTP_URL, MAIL_*, MAIL_SWEEP_SECONDS, PUBLIC_BASE_URL, CONSENT_CONFIRM_* and
 * CONSENT_SUBMISSION_MAX_AGE; every problem is named (never a value) in one
 * ConfigError. The subgraph always has a mail queue, so mailing is on: production needs SMTP_URL and MAIL_FROM.
 */
export function loadChannelSettings(
  env: Env,
  config: Pick<Config, 'production' | 'dataDir'> & { readonly port?: number },
): ChannelSettings {
  const problems: string[] = [];
  let jobs: JobsConfig | undefined;
  try {
    jobs = loadJobsConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
  }
  const mail = readMailConfig(env, { production: config.production, dataDir: config.dataDir, mailing: true });
  problems.push(...mail.problems);
  const mailSweepSeconds = envReader(env, problems).int('MAIL_SWEEP_SECONDS', 60, 1, 86_400);
  const consent = consentSettings(env, config, problems);
  if (problems.length > 0 || !jobs) throw new ConfigError(problems);
  return { jobs, mail: mail.config, mailSweepSeconds, consent };
}
