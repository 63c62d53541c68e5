import type { Logger } from '@custos/runtime';
import { PgBoss } from 'pg-boss';
import type { JobsConfig } from './config.js';
import { JOBS_SCHEMA } from './grants.js';

/** An error's class name, when it is a name (never its message: it may carry data). */
export function errorName(error: unknown): string {
  const name = error instanceof Error ? error.name : undefined;
  return name !== undefined && /^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(name) ? name : 'Error';
}

/** pg-boss' errors and warnings go to the log by name, SQLSTATE and kind: never a message that could echo a value. */
function listen(boss: PgBoss, logger: Logger): PgBoss {
  boss.on('error', (error) => {
    const code = (error as { code?: unknown }).code;
    logger.error(
      { error: errorName(error), code: typeof code === 'string' ? code : undefined },
      'job queue error',
    );
  });
  boss.on('warning', (warning) => {
    const type = (warning.data as { type?: unknown } | undefined)?.type;
    logger.warn({ warning: typeof type === 'string' ? type : 'unknown' }, 'job queue warning');
  });
  return boss;
}

/**
 * A pg-boss instance of the application role: it never migrates nor creates queues (the owner does, prepare.ts),
 * keeps no schedules, warnings or statistics, and rebuilds no index (DDL). It supervises — finds expired jobs
 * and lost heartbeats, deletes finished jobs past retention — whether or not it runs workers: any instance may,
 * pg-boss claims each pass so that two never do the same work.
 */
export function applicationBoss(url: string, config: JobsConfig, logger: Logger, name: string): PgBoss {
  return listen(
    new PgBoss({
      connectionString: url,
      schema: JOBS_SCHEMA,
      application_name: `custos-jobs:${name}`.slice(0, 63),
      max: config.poolMax,
      migrate: false,
      createSchema: false,
      schedule: false,
      supervise: true,
      superviseIntervalSeconds: config.superviseSeconds,
      monitorIntervalSeconds: config.superviseSeconds,
      maintenanceIntervalSeconds: 3600,
      reindex: false,
      monitorVacuum: false,
      persistWarnings: false,
      persistQueueStats: false,
      registerInstance: true,
      instanceName: name,
      useListenNotify: false,
    }),
    logger,
  );
}

/** A short-lived pg-boss instance of the owner role, to create and update queues at start. */
export function ownerBoss(ownerUrl: string, logger: Logger): PgBoss {
  return listen(
    new PgBoss({
      connectionString: ownerUrl,
      schema: JOBS_SCHEMA,
      application_name: 'custos-jobs:owner',
      max: 2,
      migrate: false,
      createSchema: false,
      schedule: false,
      supervise: false,
      registerInstance: false,
      useListenNotify: false,
    }),
    logger,
  );
}
