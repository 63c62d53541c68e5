import { Migrator } from '@mikro-orm/migrations';
import { MikroORM } from '@mikro-orm/postgresql';
import { Company } from '../companies/company.entity.js';
import { ConsentEvent, ConsentEvidence, PrivacyNotice } from '../consent/consent-event.entity.js';
import { ConsentState } from '../consent/consent-state.entity.js';
import { Contact } from '../contacts/contact.entity.js';
import { ContactDuplicate } from '../duplicates/duplicate.entity.js';
import { Interaction } from '../interactions/interaction.entity.js';
import { notify } from '../shared/sql.js';
import { migrations } from './migrations/index.js';

export const entities = [
  Company,
  Contact,
  Interaction,
  ConsentState,
  ContactDuplicate,
  PrivacyNotice,
  ConsentEvent,
  ConsentEvidence,
];

export interface OrmOptions {
  readonly url: string;
  readonly poolMax?: number;
  /** Another service's model (apps/tickets); the Custos entities and migrations by default. */
  readonly model?: {
    readonly entities: unknown[];
    readonly migrations: typeof migrations;
    /** Its own migration ledger, so that two services can share one database. */
    readonly migrationsTable: string;
  };
}

/**
 * MikroORM over PostgreSQL. The schema comes only from the committed migrations (no schema sync); they run
 * on start, all or nothing.
 */
export async function createOrm(options: OrmOptions): Promise<MikroORM> {
  return MikroORM.init({
    clientUrl: options.url,
    entities: (options.model?.entities ?? entities) as typeof entities,
    extensions: [Migrator],
    migrations: {
      migrationsList: options.model?.migrations ?? migrations,
      ...(options.model ? { tableName: options.model.migrationsTable } : {}),
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

/** True when every committed migration has been applied. */
export async function isMigrated(orm: MikroORM): Promise<boolean> {
  return (await orm.migrator.getPending()).length === 0;
}
