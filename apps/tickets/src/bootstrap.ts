import type http from 'node:http';
import {
  type Config,
  ConfigError,
  closeServer,
  createAuditTrail,
  createAuthenticator,
  createGraphQLServer,
  createHttpServer,
  createOrm,
  createRequestContext,
  isMigrated,
  type Logger,
  listen,
  loadCursorCodec,
  loadOrCreateDevKeys,
  type Model,
  prepareDatabase,
} from '@custos/subgraph/kit';
import type { MikroORM } from '@mikro-orm/postgresql';
import { createTicketLoaders, type TicketsContext } from './context.js';
import { migrations } from './db/migrations/index.js';
import { seedTickets } from './db/seed.js';
import { Ticket } from './db/ticket.entity.js';
import { buildTicketsSchema } from './schema/schema.js';

export interface RunningTickets {
  readonly url: string;
  readonly orm: MikroORM;
  readonly server: http.Server;
  /** Stores every audit event accepted so far (tests). */
  flushAudit(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The tickets model: its own entities, migrations and migration ledger in the `tickets` schema, and what the
 * application role may do there (its reads of Custos' contacts are granted by Custos' own model).
 */
export const TICKETS_MODEL: Model = {
  entities: [Ticket],
  migrations,
  migrationsTable: 'tickets.mikro_orm_migrations',
  grants: {
    schema: 'tickets',
    tables: {
      ticket: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
      mikro_orm_migrations: ['SELECT'],
    },
  },
};

/**
 * Brings the tickets subgraph up on the database Custos uses (DATABASE_URL: `npm start` passes the embedded
 * one): its migrations, demo tickets for the demo contacts, then HTTP with the same identity, limits, error
 * contract and privacy plugin as Custos.
 */
export async function startTickets(config: Config, logger: Logger): Promise<RunningTickets> {
  if (!config.databaseUrl) {
    throw new ConfigError([
      "DATABASE_URL: required — the tickets subgraph reads Custos' contacts and row rules from the same database",
    ]);
  }
  await prepareDatabase(
    { url: config.databaseUrl, ownerUrl: config.databaseOwnerUrl ?? config.databaseUrl },
    { model: TICKETS_MODEL, production: config.production, logger },
  );
  const orm = await createOrm({ url: config.databaseUrl, poolMax: config.dbPoolMax, model: TICKETS_MODEL });
  try {
    if (config.seedContacts > 0) {
      const seeded = await seedTickets(orm.em.fork());
      if (seeded > 0) logger.info({ tickets: seeded }, 'demo tickets seeded');
    }
    const devJwks = config.production ? undefined : (await loadOrCreateDevKeys(config.dataDir)).publicJwks;
    const authenticate = createAuthenticator({ config, devJwks });
    const cursors = await loadCursorCodec(config);
    // Its own events, in the same chain as Custos' (one per operation and subgraph).
    const audit = await createAuditTrail(config, config.databaseUrl, 'tickets', logger);
    const apollo = await createGraphQLServer<TicketsContext>(
      buildTicketsSchema(),
      logger,
      config.production,
      config.limits,
      audit.writer,
    );
    const server = createHttpServer<TicketsContext>({
      apollo,
      logger,
      maxBodyBytes: config.maxBodyBytes,
      async context(req, request) {
        return createRequestContext(
          { request, principal: await authenticate(req), logger, cursors },
          orm,
          createTicketLoaders,
        );
      },
      async ready() {
        await orm.em.getConnection().execute('select 1');
        return isMigrated(orm);
      },
    });
    const url = await listen(server, config.port, config.host);
    let stopping: Promise<void> | undefined;
    return {
      url,
      orm,
      server,
      flushAudit: async () => audit.writer?.flush(),
      stop() {
        stopping ??= (async () => {
          await closeServer(server);
          await apollo.stop();
          await audit.writer?.close();
          await orm.close();
        })();
        return stopping;
      },
    };
  } catch (error) {
    await orm.close().catch(() => {});
    throw error;
  }
}
