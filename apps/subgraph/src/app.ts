import type http from 'node:http';
import type { IncomingMessage } from 'node:http';
import { unrestrictedPurpose } from '@custos/policy';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { JSONWebKeySet } from 'jose';
import { createTokenVerifier } from './auth/verify.js';
import type { Config } from './config.js';
import type { Context, RequestInfo } from './context.js';
import { isMigrated } from './db/orm.js';
import { createGraphQLServer } from './http/graphql-server.js';
import { closeServer, createHttpServer, listen } from './http/server.js';
import type { Logger } from './logger.js';
import { RedactionLog } from './privacy/redactions.js';
import { createLoaders, type Loaders } from './schema/loaders.js';
import { buildSchema } from './schema/schema.js';
import { ForbiddenError, requestError, UnauthenticatedError } from './shared/errors.js';

export interface AppOptions {
  readonly config: Config;
  readonly logger: Logger;
  readonly orm: MikroORM;
  /** Development: the local public keys. Production: undefined (config.auth.jwksUrl is used). */
  readonly devJwks?: JSONWebKeySet;
}

export interface App {
  readonly server: http.Server;
  listen(): Promise<string>;
  close(): Promise<void>;
}

const header = (req: IncomingMessage, name: string): string | undefined => {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/** Wires the subgraph: schema, Apollo Server, identity, per-request context, HTTP. No I/O until listen(). */
export async function createApp(options: AppOptions): Promise<App> {
  const { config, logger, orm } = options;
  const verify = createTokenVerifier({
    issuer: config.auth.issuer,
    audience: config.auth.audience,
    ...(config.auth.jwksUrl ? { jwksUrl: config.auth.jwksUrl } : {}),
    ...(options.devJwks && !config.auth.jwksUrl ? { localJwks: options.devJwks } : {}),
  });
  const allowAllPurpose = config.policyAllowAll ? unrestrictedPurpose() : undefined;
  if (config.policyAllowAll && !allowAllPurpose) {
    throw new Error('CUSTOS_POLICY_ALLOW_ALL needs a purpose that sees everything, and the policy has none');
  }
  const apollo = await createGraphQLServer(buildSchema(), logger, config.production, config.limits);

  async function context(req: IncomingMessage, request: RequestInfo): Promise<Context> {
    try {
      const verified = await verify(header(req, 'authorization'), header(req, 'x-purpose'));
      // Benchmarks only (refused in production by config): the policy replaced by allow-all.
      const principal = allowAllPurpose ? { ...verified, purpose: allowAllPurpose } : verified;
      // The EntityManager and the loaders are made on first use: a request refused later, or answered
      // from its first statement, pays for neither.
      let em: EntityManager | undefined;
      let loaders: Loaders | undefined;
      const forked = () => {
        em ??= orm.em.fork();
        return em;
      };
      return {
        request,
        principal,
        logger,
        redactions: new RedactionLog(),
        now: new Date(),
        get em() {
          return forked();
        },
        get loaders() {
          loaders ??= createLoaders(forked(), principal.purpose);
          return loaders;
        },
      };
    } catch (error) {
      if (error instanceof UnauthenticatedError || error instanceof ForbiddenError) throw requestError(error);
      throw error;
    }
  }

  let migrated = false;
  async function ready(): Promise<boolean> {
    await orm.em.getConnection().execute('select 1');
    migrated ||= await isMigrated(orm);
    return migrated;
  }

  const server = createHttpServer({
    apollo,
    logger,
    maxBodyBytes: config.maxBodyBytes,
    context,
    ready,
    ...(options.devJwks && !config.production ? { jwks: options.devJwks } : {}),
  });
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 30_000;

  return {
    server,
    listen: () => listen(server, config.port, config.host),
    async close() {
      await closeServer(server);
      await apollo.stop();
    },
  };
}
