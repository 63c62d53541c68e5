import { type JobsConfig, loadJobsConfig } from '@custos/jobs';
import { type MailConfig, readMailConfig } from '@custos/mail';
import { type Config, ConfigError, type Env, envReader } from '@custos/runtime';

/** The job queue's and the mail's settings (README, configuration), read with the rest at start. */
export interface ChannelSettings {
  readonly jobs: JobsConfig;
  readonly mail: MailConfig;
  /**
   * MAIL_SWEEP_SECONDS: how often an instance that runs workers re-enqueues outbox rows never tried that have no job
   * (older than this, so that a row whose transaction is still sending its job is left alone).
   */
  readonly mailSweepSeconds: number;
}

/**
 * Reads JOBS_*, SMTP_URL, MAIL_* and MAIL_SWEEP_SECONDS; every problem is named (never a value) in one
 * ConfigError. The subgraph always has a mail queue, so mailing is on: production needs SMTP_URL and MAIL_FROM.
 */
export function loadChannelSettings(
  env: Env,
  config: Pick<Config, 'production' | 'dataDir'>,
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
  if (problems.length > 0 || !jobs) throw new ConfigError(problems);
  return { jobs, mail: mail.config, mailSweepSeconds };
}
