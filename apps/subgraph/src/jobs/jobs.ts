import { createJobQueue, prepareJobs } from '@custos/jobs';
import { createMailTransport } from '@custos/mail';
import type { Logger } from '@custos/runtime';
import pg from 'pg';
import { mailDeliveryHandler, sweepOutbox } from '../mail/mail.jobs.js';
import { SUBGRAPH_QUEUES, type SubgraphJobs } from './queues.js';
import type { ChannelSettings } from './settings.js';

export interface RunningJobs {
  readonly queue: SubgraphJobs;
  /** Stops the sweep, then the queue (running jobs finish or are released), then the mail's connections. */
  stop(): Promise<void>;
}

/**
 * The subgraph's job queue, after prepareDatabase: as the owner, pg-boss' schema and the queues (the application
 * role gets JOBS_GRANTS); as the application role, the queue, with the handlers running in this process unless
 * JOBS_WORKERS=0, and the outbox sweep in every instance that runs workers (one sweeps at a time).
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
  try {
    if (transport)
      await queue.work('mail.deliver', mailDeliveryHandler(pool, transport, logger, settings.mail.leaseMs));
    if (queue.workers) {
      let sweeping = false;
      sweeper = setInterval(() => {
        if (sweeping) return;
        sweeping = true;
        sweepOutbox(pool, queue, settings.mailSweepSeconds)
          .then((enqueued) => {
            if (enqueued > 0) logger.info({ enqueued }, 'mail outbox swept');
          })
          .catch((error: unknown) =>
            logger.warn({ error: error instanceof Error ? error.name : 'Error' }, 'mail outbox sweep failed'),
          )
          .finally(() => {
            sweeping = false;
          });
      }, settings.mailSweepSeconds * 1000);
      sweeper.unref();
    }
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
        await queue.stop();
        await transport?.close();
        await pool.end();
      })();
      return stopping;
    },
  };
}
