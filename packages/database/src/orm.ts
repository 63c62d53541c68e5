import {
  applyGrants,
  currentRole,
  DatabaseRoleError,
  excessPrivileges,
  grantWithin,
  type Logger,
  reachesMore,
  type SchemaGrants,
} from '@custos/runtime';
import type { MigrationObject } from '@mikro-orm/core';
import { Migrator } from '@mikro-orm/migrations';
import { MikroORM } from '@mikro-orm/postgresql';
import { notify } from './sql.js';

/** What MikroORM's migrator runs: the migration classes, by name, in order. */
export type MigrationList = MigrationObject[];

/** A service's data model: what the ORM and the migrations are set up from. A package never names an app's entities. */
export interface Model {
  readonly entities: unknown[];
  readonly migrations: MigrationList;
  /** Its own migration ledger, so that two services can share one database. */
  readonly migrationsTable: string;
  /** The application role's privileges on the model's schema (roles.ts). */
  readonly grants: SchemaGrants;
  /**
   * Its role's privileges on another service's schema (tickets: the audit trail in Custos' `public`, and nothing
   * else there). Applied only to a role that holds no more than that: a service sharing Custos' own application
   * role (a quick local setup) is warned, never stripped of what Custos needs.
   */
  readonly sharedGrants?: SchemaGrants;
}

export interface OrmOptions {
  readonly url: string;
  readonly poolMax?: number;
  /** The service's entities and migrations (each app declares its own: apps/subgraph/src/db/model.ts …). */
  readonly model: Pick<Model, 'entities' | 'migrations' | 'migrationsTable'>;
}

/**
 * MikroORM over PostgreSQL. The schema comes only from the committed migrations (no schema sync); they run
 * on start, all or nothing.
 */
export async function createOrm(options: OrmOptions): Promise<MikroORM> {
  return MikroORM.init({
    clientUrl: options.url,
    entities: options.model.entities as never,
    extensions: [Migrator],
    migrations: {
      migrationsList: options.model.migrations,
      tableName: options.model.migrationsTable,
      transactional: true,
      allOrNothing: true,
      silent: true,
      snapshot: false,
    },
    pool: { min: 0, max: options.poolMax ?? 10 },
    // MikroORM's statements (flushes, migrations) reach the same observers as ours; never a log line.
    debug: ['query'],
    logger: (message) => notify(message),
    allowGlobalContext: false,
    ensureDatabase: false,
    discovery: { warnWhenNoEntities: true },
  });
}

export async function migrate(orm: MikroORM): Promise<void> {
  await orm.migrator.up();
}

/**
 * Readies the database for a service: its migrations as the owner role (`ownerUrl`), then the application
 * role's privileges on its schema (and on the shared schema, see Model.sharedGrants), then a check that the
 * application role (`url`) holds no more than declared. In production a role that could rewrite a ledger — or,
 * for tickets, read `contact` — refuses the start; elsewhere (one role for all, as a quick local setup has) it is
 * a warning.
 */
export async function prepareDatabase(
  database: { readonly url: string; readonly ownerUrl: string },
  options: { readonly model: Model; readonly production: boolean; readonly logger: Logger },
): Promise<void> {
  const { model } = options;
  const owner = await createOrm({ url: database.ownerUrl, poolMax: 1, model });
  try {
    await migrate(owner);
  } finally {
    await owner.close();
  }
  const [appRole, ownerRole] = await Promise.all([currentRole(database.url), currentRole(database.ownerUrl)]);
  const shared = model.sharedGrants;
  if (appRole !== ownerRole) {
    await applyGrants(database.ownerUrl, appRole, model.grants);
    if (shared) await grantWithin(database, appRole, shared);
  }
  const excess = await excessPrivileges(database.url, model.grants);
  const sharedExcess = shared ? await excessPrivileges(database.url, shared) : [];
  if (excess.length === 0 && sharedExcess.length === 0) return;
  const problem =
    appRole === ownerRole
      ? 'DATABASE_URL connects as the role that owns the schema, so the ledgers are not append-only for it: ' +
        'set DATABASE_OWNER_URL to the owner role and DATABASE_URL to a separate application role (README: database roles)'
      : excess.length > 0
        ? `the application role holds more than declared (${excess.join('; ')})`
        : reachesMore(shared?.schema, sharedExcess);
  if (options.production) throw new DatabaseRoleError(problem);
  options.logger.warn({ schema: model.grants.schema }, problem);
}

/** True when every committed migration has been applied. */
export async function isMigrated(orm: MikroORM): Promise<boolean> {
  return (await orm.migrator.getPending()).length === 0;
}
