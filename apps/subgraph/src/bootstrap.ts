import { pruneAuditLog, retentionCutoff } from '@custos/audit';
import { createOrm, type Database, openDatabase, prepareDatabase } from '@custos/database';
import type { Config, Env, Logger } from '@custos/runtime';
import { loadCursorCodec, loadOrCreateDevKeys, loadOrCreateSecret } from '@custos/runtime';
import type { MikroORM } from '@mikro-orm/postgresql';
import { type App, createApp } from './app.js';
import { submissionHandler } from './consent/consent.submissions.js';
import { CUSTOS_MODEL } from './db/model.js';
import { type RunningJobs, startJobs } from './jobs/jobs.js';
import { loadChannelSettings } from './jobs/settings.js';
import { seedDemoData } from './seed/seed.js';

export interface Running {
  readonly url: string;
  readonly database: Database;
  readonly orm: MikroORM;
  readonly app: App;
  /** The job queue (workers in this process unless JOBS_WORKERS=0) and the mail it delivers. */
  readonly jobs: RunningJobs;
  stop(): Promise<void>;
}

/**
 * Brings the subgraph up: database (external or embedded), migrations as the owner role and the application
 * role's privileges, the job queue (schema `pgboss`, workers), the demo seed on an empty
 * database, development keys, then HTTP. Whatever started is stopped again if a later step fails.
 * `env` holds the job queue's and the mail's settings (ConfigError, before anything starts).
 */
export async function start(config: Config, logger: Logger, env: Env = process.env): Promise<Running> {
  const channel = loadChannelSettings(env, config);
  const database = await openDatabase(config, logger);
  let orm: MikroORM | undefined;
  let jobs: RunningJobs | undefined;
  try {
    await prepareDatabase(database, { model: CUSTOS_MODEL, production: config.production, logger });
    // The audit log's retention rule, applied by the owner role (the services cannot delete audit rows).
    const pruned = await pruneAuditLog(database.ownerUrl, retentionCutoff(config));
    if (pruned.batches > 0 || pruned.alerts > 0) logger.info({ ...pruned }, 'audit retention applied');
    orm = await createOrm({ model: CUSTOS_MODEL, url: database.url, poolMax: config.dbPoolMax });
    logger.info({ database: database.kind }, 'database migrated');
    jobs = await startJobs(database, channel, { production: config.production, logger });
    if (config.seedContacts > 0) {
      const result = await seedDemoData(orm.em.fork(), {
        contacts: config.seedContacts,
        onProgress: (message) => logger.info(message),
      });
      if (result.seeded) logger.info({ ...result }, 'demo data seeded');
    }
    const devKeys = config.production ? undefined : await loadOrCreateDevKeys(config.dataDir);
    const secrets = {
      consentHmacKey: config.consentHmacKey
        ? Buffer.from(config.consentHmacKey)
        : await loadOrCreateSecret(config.dataDir, 'consent-hmac.key'),
    };
    const app = await createApp({
      config,
      logger,
      orm,
      databaseUrl: database.url,
      secrets,
      jobs: jobs.queue,
      confirmMaxAttempts: channel.consent.maxAttempts,
      mailFrom: channel.mail.from,
      cursors: await loadCursorCodec(config),
      ...(devKeys ? { devKeys } : {}),
    });
    // Public forms' posts: looked up and acted on here, never on the request path (no membership oracle).
    await jobs.queue.work(
      'consent.submission',
      submissionHandler({
        orm,
        jobs: jobs.queue,
        hmacKey: secrets.consentHmacKey,
        controller: config.controller,
        settings: channel.consent,
        auditService: config.audit.enabled ? 'custos' : undefined,
        logger,
      }),
    );
    const url = await app.listen();
    const ormRef = orm;
    const jobsRef = jobs;
    let stopping: Promise<void> | undefined;
    return {
      url,
      database,
      orm,
      app,
      jobs,
      stop() {
        stopping ??= (async () => {
          await app.close();
          // Before the pool and the database: running jobs finish or are released while both are up.
          await jobsRef.stop();
          await ormRef.close();
          await database.stop();
        })();
        return stopping;
      },
    };
  } catch (error) {
    await jobs?.stop().catch(() => {});
    await orm?.close().catch(() => {});
    await database.stop().catch(() => {});
    throw error;
  }
}
