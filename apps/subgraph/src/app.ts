import type http from 'node:http';
import type { IncomingMessage } from 'node:http';
import { createAuditTrail } from '@custos/audit';
import { isMigrated } from '@custos/database';
import type { MailAddress } from '@custos/mail';
import type { Config, CursorCodec, DevKeys, Logger } from '@custos/runtime';
import { closeServer, createAuthenticator, createRateLimit, listen } from '@custos/runtime';
import {
  createGraphQLServer,
  createHttpServer,
  createRequestContext,
  type DirectLane,
  directLaneOf,
  type RequestInfo,
} from '@custos/server';
import type { MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import { confirmConsentRoute, type PublicRouteOptions, publicConsentRoute } from './consent/public.js';
import type { Context, Secrets } from './context.js';
import { DEV_TOKEN_PATH, devTokenRoute } from './dev-token.js';
import type { SubgraphJobs } from './jobs/queues.js';
import { createLoaders } from './loaders.js';
import { buildSchema } from './schema.js';

export interface AppOptions {
  readonly config: Config;
  readonly logger: Logger;
  readonly orm: MikroORM;
  /** The application role's URL: the audit writer keeps its own connections. */
  readonly databaseUrl: string;
  readonly secrets: Secrets;
  /** The job queue: the dead letters' operations list and re-drive through it; public forms' posts go to it. */
  readonly jobs: SubgraphJobs;
  /** CONSENT_CONFIRM_MAX_ATTEMPTS: wrong tokens before a confirmation link locks. */
  readonly confirmMaxAttempts: number;
  /** MAIL_FROM: a confirmed grant's receipt names its mail's Message-ID, which is derived from it. */
  readonly mailFrom: MailAddress;
  /** Seals the cursors of every list (CURSOR_KEYS, or a development key). */
  readonly cursors: CursorCodec;
  /**
   * Development: the local signing key — its public half checks tokens (unless AUTH_JWKS_URL is set) and is served
   * as the JWKS, and it signs the tokens of `POST /dev/token`. Production: undefined (config.auth.jwksUrl is used).
   */
  readonly devKeys?: DevKeys;
}

export interface App {
  readonly server: http.Server;
  listen(): Promise<string>;
  close(): Promise<void>;
  /** Stores every audit event accepted so far (tests, the access package). */
  flushAudit(): Promise<void>;
  /** The GraphQL server's direct lane (packages/server direct-lane.ts): its counts tell which path answered. */
  readonly directLane: DirectLane<Context> | undefined;
}

/** Wires the subgraph: schema, Apollo Server, identity, per-request context, HTTP. No I/O until listen(). */
export async function createApp(options: AppOptions): Promise<App> {
  const { config, logger, orm } = options;
  const auditTrail = await createAuditTrail(config, options.databaseUrl, 'custos', logger, {
    // Its mutations fill the outbox (audit_pending); its writers alone move it into the chain.
    drainsOutbox: true,
  });
  // Never in production, whatever a caller passes: no development JWKS, no development tokens.
  const devKeys = config.production ? undefined : options.devKeys;
  const authenticate = createAuthenticator({
    config,
    devJwks: devKeys?.publicJwks,
    refusals: auditTrail.refusals,
  });
  const apollo = await createGraphQLServer<Context>(
    buildSchema(),
    logger,
    config.production,
    config.limits,
    auditTrail.writer,
  );

  async function context(req: IncomingMessage, request: RequestInfo): Promise<Context> {
    const principal = await authenticate(req, request);
    return createRequestContext(
      {
        request,
        principal,
        logger,
        cursors: options.cursors,
        secrets: options.secrets,
        controller: config.controller,
        aggregateMinCell: config.aggregateMinCell,
        auditTrail,
        jobs: options.jobs,
      },
      orm,
      createLoaders,
    );
  }

  let migrated = false;
  async function ready(): Promise<boolean> {
    await orm.em.getConnection().execute('select 1');
    migrated ||= await isMigrated(orm);
    return migrated;
  }

  // The shared rate limits' own small pool: a flood of public requests never waits for the resolvers' connections.
  const limitPool = new pg.Pool({ connectionString: options.databaseUrl, max: 2 });
  limitPool.on('error', () => {});
  const publicRoutes: PublicRouteOptions = {
    orm,
    secrets: options.secrets,
    logger,
    // One budget per client for both data-subject endpoints.
    limiter: createRateLimit({
      pool: limitPool,
      name: 'public',
      perMinute: config.publicRateLimitPerMinute,
      hmacKey: options.secrets.consentHmacKey,
      logger,
    }),
    trustedProxies: config.trustedProxies,
    jobs: options.jobs,
  };
  const server = createHttpServer({
    apollo,
    logger,
    maxBodyBytes: config.maxBodyBytes,
    context,
    ready,
    routes: {
      '/public/consent': publicConsentRoute(publicRoutes),
      '/public/consent/confirm': confirmConsentRoute({
        ...publicRoutes,
        maxAttempts: options.confirmMaxAttempts,
        mailFrom: options.mailFrom,
        auditService: auditTrail.writer?.service,
      }),
      // Development only: absent in production, where it answers 404 like any unknown path.
      ...(devKeys
        ? {
            [DEV_TOKEN_PATH]: devTokenRoute({
              keys: devKeys,
              ttlSeconds: config.auth.devTokenTtlSeconds,
              logger,
              audit: auditTrail.writer,
            }),
          }
        : {}),
    },
    ...(devKeys ? { jwks: devKeys.publicJwks } : {}),
  });
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 30_000;

  return {
    server,
    listen: () => listen(server, config.port, config.host),
    flushAudit: async () => auditTrail.writer?.flush(),
    directLane: directLaneOf(apollo),
    async close() {
      await closeServer(server);
      await apollo.stop();
      // After the last request: everything it audited is written, and a last checkpoint.
      auditTrail.refusals?.close();
      await limitPool.end();
      await auditTrail.writer?.close();
    },
  };
}
