import { createRequire } from 'node:module';
import {
  applyGrants,
  currentRole,
  DatabaseRoleError,
  excessPrivileges,
  type Logger,
  missingPrivileges,
} from '@custos/runtime';
import pg from 'pg';
import { getConstructionPlans, getMigrationPlans, type PgBoss } from 'pg-boss';
import { ownerBoss } from './boss.js';
import type { JobsConfig } from './config.js';
import { JOBS_GRANTS, JOBS_SCHEMA } from './grants.js';
import {
  checkQueueNames,
  deadLetterOptions,
  deadLetterQueue,
  type QueueMap,
  queueOptions,
} from './queues.js';

/** The schema version this pg-boss release expects (its package.json says it). */
const SCHEMA_VERSION: number = (
  createRequire(import.meta.url)('pg-boss/package.json') as { pgboss: { schema: number } }
).pgboss.schema;

/**
 * Creates schema `pgboss` or brings it to this pg-boss release's version, as the owner, on one connection that
 * holds an advisory lock: instances starting together install it once. Upgrades run pg-boss' exported migration
 * plans, whose index builds run inline (no background migration left for an application role that cannot do DDL).
 */
async function installSchema(ownerUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: ownerUrl, application_name: 'custos-jobs:migrate' });
  await client.connect();
  try {
    await client.query('select pg_advisory_lock(hashtext($1))', ['custos:jobs:schema']);
    const { rows } = await client.query<{ installed: boolean }>(
      `select to_regclass($1) is not null as installed`,
      [`${JOBS_SCHEMA}.version`],
    );
    if (!rows[0]?.installed) {
      await client.query(getConstructionPlans(JOBS_SCHEMA, { createSchema: true }));
      return;
    }
    const version = Number(
      (await client.query<{ version: number }>(`select version from ${JOBS_SCHEMA}.version`)).rows[0]
        ?.version,
    );
    if (version > SCHEMA_VERSION) {
      throw new Error(
        `schema ${JOBS_SCHEMA} is at version ${version}, newer than this pg-boss release knows (${SCHEMA_VERSION})`,
      );
    }
    if (version < SCHEMA_VERSION) await client.query(getMigrationPlans(JOBS_SCHEMA, version));
  } finally {
    await client.query('select pg_advisory_unlock_all()').catch(() => {});
    await client.end();
  }
}

/** Creates a queue, or brings an existing one's settings to `options`. */
async function upsertQueue(
  boss: PgBoss,
  existing: ReadonlySet<string>,
  name: string,
  options: Record<string, unknown>,
): Promise<void> {
  if (existing.has(name)) {
    await boss.updateQueue(name, options);
    return;
  }
  const defined = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== null));
  try {
    await boss.createQueue(name, defined);
  } catch (error) {
    // Another instance created it in the meantime.
    if ((error as { code?: unknown }).code !== '23505') throw error;
    await boss.updateQueue(name, options);
  }
}

/** Creates every queue and its dead-letter queue (dead-letter queues first: a queue names its own). */
async function createQueues(ownerUrl: string, queues: QueueMap, config: JobsConfig, logger: Logger) {
  const names = checkQueueNames(queues);
  const boss = ownerBoss(ownerUrl, logger);
  await boss.start();
  try {
    const existing = new Set((await boss.getQueues()).map((queue) => queue.name));
    for (const name of names) {
      await upsertQueue(boss, existing, deadLetterQueue(name), deadLetterOptions(config));
      await upsertQueue(boss, existing, name, queueOptions(name, queues[name]!.settings, config));
    }
  } finally {
    await boss.stop({ graceful: false });
  }
}

/**
 * Readies the job queue for a service, next to prepareDatabase: as the owner role (`ownerUrl`), installs or
 * migrates pg-boss' schema `pgboss` and creates the service's queues with their dead-letter queues; then gives the
 * application role (`url`) exactly JOBS_GRANTS there and checks that it holds no more and no less. In production
 * a role that holds more (the owner itself, say) refuses the start; elsewhere it is a warning.
 */
export async function prepareJobs(
  database: { readonly url: string; readonly ownerUrl: string },
  options: {
    readonly queues: QueueMap;
    readonly config: JobsConfig;
    readonly production: boolean;
    readonly logger: Logger;
  },
): Promise<void> {
  const { url, ownerUrl } = database;
  await installSchema(ownerUrl);
  await createQueues(ownerUrl, options.queues, options.config, options.logger);
  const [appRole, ownerRole] = await Promise.all([currentRole(url), currentRole(ownerUrl)]);
  if (appRole !== ownerRole) await applyGrants(ownerUrl, appRole, JOBS_GRANTS);
  const excess = await excessPrivileges(url, JOBS_GRANTS);
  const missing = await missingPrivileges(url, JOBS_GRANTS);
  if (excess.length === 0 && missing.length === 0) return;
  const problem =
    appRole === ownerRole
      ? `DATABASE_URL connects as the role that owns schema ${JOBS_SCHEMA}, so the job queue's service could rewrite ` +
        'it: set DATABASE_OWNER_URL to the owner role and DATABASE_URL to a separate application role (README: database roles)'
      : excess.length > 0
        ? `the application role holds more than declared in schema ${JOBS_SCHEMA} (${excess.join('; ')})`
        : `the application role lacks what the job queue needs in schema ${JOBS_SCHEMA} (${missing.join('; ')})`;
  if (options.production) throw new DatabaseRoleError(problem);
  options.logger.warn({ schema: JOBS_SCHEMA }, problem);
}
