import { Migrator } from '@mikro-orm/migrations';
import { MikroORM } from '@mikro-orm/postgresql';
import { AUDIT_ENTITIES } from '../audit/audit.entity.js';
import { Company } from '../companies/company.entity.js';
import { ConsentEvent, ConsentEvidence, PrivacyNotice } from '../consent/consent-event.entity.js';
import { ConsentState } from '../consent/consent-state.entity.js';
import { Contact } from '../contacts/contact.entity.js';
import { ContactDuplicate } from '../duplicates/duplicate.entity.js';
import { Interaction } from '../interactions/interaction.entity.js';
import type { Logger } from '../logger.js';
import { notify } from '../shared/sql.js';
import { migrations } from './migrations/index.js';
import {
  applyGrants,
  CUSTOS_GRANTS,
  currentRole,
  excessPrivileges,
  missingPrivileges,
  privilegesElsewhere,
  type SchemaGrants,
} from './roles.js';

export const entities = [
  Company,
  Contact,
  Interaction,
  ConsentState,
  ContactDuplicate,
  PrivacyNotice,
  ConsentEvent,
  ConsentEvidence,
  ...AUDIT_ENTITIES,
];

export interface Model {
  readonly entities: unknown[];
  readonly migrations: typeof migrations;
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

/** The Custos subgraph's model: its entities, migrations and grants in schema `public`. */
export const CUSTOS_MODEL: Model = {
  entities,
  migrations,
  migrationsTable: 'mikro_orm_migrations',
  grants: CUSTOS_GRANTS,
};

export interface OrmOptions {
  readonly url: string;
  readonly poolMax?: number;
  /** Another service's model (apps/tickets); the Custos model by default. */
  readonly model?: Model;
}

/**
 * MikroORM over PostgreSQL. The schema comes only from the committed migrations (no schema sync); they run
 * on start, all or nothing.
 */
export async function createOrm(options: OrmOptions): Promise<MikroORM> {
  return MikroORM.init({
    clientUrl: options.url,
    entities: (options.model ?? CUSTOS_MODEL).entities as typeof entities,
    extensions: [Migrator],
    migrations: {
      migrationsList: (options.model ?? CUSTOS_MODEL).migrations,
      tableName: (options.model ?? CUSTOS_MODEL).migrationsTable,
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

export class DatabaseRoleError extends Error {
  override name = 'DatabaseRoleError';
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
  options: { readonly model?: Model; readonly production: boolean; readonly logger: Logger },
): Promise<void> {
  const model = options.model ?? CUSTOS_MODEL;
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

/** A role that reaches more of the database than declared: what it holds beyond, never a URL. */
const reachesMore = (schema: string | undefined, excess: readonly string[]): string =>
  `DATABASE_URL connects as a role that reaches more than this service may, in schema ${schema} or beyond ` +
  `(${excess.join('; ')}): give the service a role of its own (README: database roles)`;

/**
 * Gives `role` (behind `database.url`) the privileges `grants` declare on another service's schema, as the owner,
 * only when it holds no more than those: a role that holds more (Custos' own application role, in a quick local
 * setup) is never stripped of what its own service needs.
 */
async function grantWithin(
  database: { readonly url: string; readonly ownerUrl: string },
  role: string,
  grants: SchemaGrants,
): Promise<void> {
  if ((await excessPrivileges(database.url, grants)).length === 0) {
    await applyGrants(database.ownerUrl, role, grants);
  }
}

/**
 * Readies the role of a service that keeps no schema of its own and only writes into another's (the gateway:
 * the audit trail, AUDIT_WRITER_GRANTS): granted by the owner when `ownerUrl` is given, then checked: in
 * production a role that reaches more — Custos' application role, which reads every column of `contact`, the
 * owner, another service's role — or that lacks a declared privilege refuses the start; elsewhere it is a warning.
 */
export async function prepareSharedRole(
  database: { readonly url: string; readonly ownerUrl: string | undefined },
  grants: SchemaGrants,
  options: { readonly production: boolean; readonly logger: Logger },
): Promise<void> {
  const { url, ownerUrl } = database;
  if (ownerUrl !== undefined) {
    const [role, ownerRole] = await Promise.all([currentRole(url), currentRole(ownerUrl)]);
    if (role !== ownerRole) await grantWithin({ url, ownerUrl }, role, grants);
  }
  // Nothing beyond the declared tables of that one schema: not another service's schema either.
  const excess = [...(await excessPrivileges(url, grants)), ...(await privilegesElsewhere(url, grants))];
  // Nor less: a role nobody granted would lose every event it should write.
  const missing = await missingPrivileges(url, grants);
  if (excess.length === 0 && missing.length === 0) return;
  const problem =
    excess.length > 0
      ? reachesMore(grants.schema, excess)
      : `DATABASE_URL connects as a role that lacks what this service needs in schema ${grants.schema} ` +
        `(${missing.join('; ')}): have the owner grant it (DATABASE_OWNER_URL; README: database roles)`;
  if (options.production) throw new DatabaseRoleError(problem);
  options.logger.warn({ schema: grants.schema }, problem);
}

/** True when every committed migration has been applied. */
export async function isMigrated(orm: MikroORM): Promise<boolean> {
  return (await orm.migrator.getPending()).length === 0;
}
