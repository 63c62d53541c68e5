import type http from 'node:http';
import { AUDIT_WRITER_GRANTS, createAuditTrail } from '@custos/audit';
import { createOrm, isMigrated, type Model, prepareDatabase } from '@custos/database';
import {
  type Config,
  ConfigError,
  closeServer,
  createAuthenticator,
  type Logger,
  listen,
  loadCursorCodec,
  loadOrCreateDevKeys,
} from '@custos/runtime';
import { createGraphQLServer, createHttpServer, createRequestContext } from '@custos/server';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { TicketsContext } from './context.js';
import { ContactPrivacy } from './db/contact-privacy.entity.js';
import { migrations } from './db/migrations/index.js';
import { seedTickets } from './db/seed.js';
import { Ticket } from './db/ticket.entity.js';
import { buildTicketsSchema } from './schema.js';
import { createTicketLoaders } from './tickets/ticket.loaders.js';

export interface RunningTickets {
  readonly url: string;
  readonly orm: MikroORM;
  readonly server: http.Server;
  /** Stores every audit event accepted so far (tests). */
  flushAudit(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The tickets model: its own entities, migrations and migration ledger in the `tickets` schema, and what its
 * database role (DATABASE_URL of this service; `custos_tickets` in the embedded default) may do: its tickets,
 * the contacts' privacy state through the view `contact_privacy` (never `public.contact`), and in Custos' schema
 * only what the shared audit writer needs. In production a role that could reach more of Custos' tables — the
 * Custos application role, say, which reads every personal column of `contact` — refuses the start.
 */
export const TICKETS_MODEL: Model = {
  entities: [Ticket, ContactPrivacy],
  migrations,
  migrationsTable: 'tickets.mikro_orm_migrations',
  grants: {
    schema: 'tickets',
    tables: {
      ticket: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
      contact_privacy: ['SELECT'],
      mikro_orm_migrations: ['SELECT'],
    },
  },
  sharedGrants: AUDIT_WRITER_GRANTS,
};

/**
 * Brings the tickets subgraph up on the database Custos uses, as its own role (DATABASE_URL: `npm start` passes
 * the embedded `custos_tickets`): its migrations and grants as the owner (DATABASE_OWNER_URL), demo tickets for
 * the demo contacts, then HTTP with the same identity, limits, error contract and privacy plugin as Custos.
 */
export async function startTickets(config: Config, logger: Logger): Promise<RunningTickets> {
  if (!config.databaseUrl) {
    throw new ConfigError([
      'DATABASE_URL: required — the tickets subgraph’s own role on the database Custos uses (README: database roles)',
    ]);
  }
  const ownerUrl = config.databaseOwnerUrl ?? config.databaseUrl;
  await prepareDatabase(
    { url: config.databaseUrl, ownerUrl },
    { model: TICKETS_MODEL, production: config.production, logger },
  );
  if (config.seedContacts > 0) {
    // The demo tickets follow the demo contacts' creation times, which the tickets role cannot read: the
    // owner, which loads the demo data set like it migrates, writes them.
    const owner = await createOrm({ url: ownerUrl, poolMax: 1, model: TICKETS_MODEL });
    try {
      const seeded = await seedTickets(owner.em.fork());
      if (seeded > 0) logger.info({ tickets: seeded }, 'demo tickets seeded');
    } finally {
      await owner.close();
    }
  }
  const orm = await createOrm({ url: config.databaseUrl, poolMax: config.dbPoolMax, model: TICKETS_MODEL });
  try {
    const devJwks = config.production ? undefined : (await loadOrCreateDevKeys(config.dataDir)).publicJwks;
    const cursors = await loadCursorCodec(config);
    // Its own events, in the same chain as Custos' (one per operation and subgraph), its refusals too.
    const audit = await createAuditTrail(config, config.databaseUrl, 'tickets', logger, {
      // No mutation of its own, and its role may not read Custos' outbox (AUDIT_WRITER_GRANTS).
      drainsOutbox: false,
    });
    const authenticate = createAuthenticator({ config, devJwks, refusals: audit.refusals });
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
          { request, principal: await authenticate(req, request), logger, cursors },
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
          audit.refusals?.close();
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
