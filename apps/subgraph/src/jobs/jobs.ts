import { createJobQueue, prepareJobs } from '@custos/jobs';
import { createMailTransport } from '@custos/mail';
import type { Logger } from '@custos/runtime';
import pg from 'pg';
import { mailDeliveryHandler } from '../mail/mail.jobs.js';
import { SUBGRAPH_QUEUES, type SubgraphJobs } from './queues.js';
import type { ChannelSettings } from './settings.js';
import { logSweep, sweep } from './sweep.js';

export interface RunningJobs {
  readonly queue: SubgraphJobs;
  /** Stops the sweep (one running finishes), then the queue (running jobs finish or are released), then the mail's connections. */
  stop(): Promise<void>;
}

/**
 * The subgraph's job queue, after prepareDatabase: as the owner, pg-boss' schema and the queues (the application
 * role gets JOBS_GRANTS); as the application role, the queue, with the handlers running in this process unless
 * JOBS_WORKERS=0, and the periodic sweep (jobs/sweep.ts) in every instance, workers or not (one sweeps at a
 * time): an instance that only serves the API still clears the rate limits and the stale submissions it writes.
 */
export async function startJobs(
  database: { readonly url: string; readonly ownerUrl: string },
  settings: ChannelSettings,
  options: { readonly production: boolean; readonly logger: Logger },
): Promise<RunningJobs> {
  const { logger } = options;
  await prepareJobs(database, {
    queues: SUBGRAPH_QUEUES,
    config: settings.jobs,
    production: options.production,
    logger,
  });
  const queue = await createJobQueue({
    url: database.url,
    queues: SUBGRAPH_QUEUES,
    config: settings.jobs,
    logger,
    name: 'custos-subgraph',
  });
  const transport = createMailTransport(settings.mail, logger);
  // The deliveries' own small pool: a busy API never starves the mail of connections, nor the reverse.
  const pool = new pg.Pool({ connectionString: database.url, max: 2 });
  pool.on('error', () => {});
  let sweeper: NodeJS.Timeout | undefined;
  /** The sweep running now, if any: stop() lets it finish before the pool closes. */
  let sweeping: Promise<void> | undefined;
  try {
    if (transport)
      await queue.work('mail.deliver', mailDeliveryHandler(pool, transport, logger, settings.mail.leaseMs));
    sweeper = setInterval(() => {
      if (sweeping) return;
      sweeping = sweep(pool, queue, {
        graceSeconds: settings.mailSweepSeconds,
        submissionMaxAgeSeconds: settings.consent.submissionMaxAgeSeconds,
      })
        .then((result) => logSweep(logger, result))
        .catch((error: unknown) => {
          // The error's class and PostgreSQL's SQLSTATE, never its message (it may quote a value).
          const code = (error as { code?: unknown })?.code;
          logger.warn(
            {
              error: error instanceof Error ? error.name : 'Error',
              ...(typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? { sqlState: code } : {}),
            },
            'periodic sweep failed',
          );
        })
        .finally(() => {
          sweeping = undefined;
        });
    }, settings.mailSweepSeconds * 1000);
    sweeper.unref();
  } catch (error) {
    await queue.stop().catch(() => {});
    await pool.end().catch(() => {});
    throw error;
  }
  let stopping: Promise<void> | undefined;
  return {
    queue,
    stop() {
      stopping ??= (async () => {
        clearInterval(sweeper);
        await sweeping;
        await queue.stop();
        await transport?.close();
        await pool.end();
      })();
      return stopping;
    },
  };
}
