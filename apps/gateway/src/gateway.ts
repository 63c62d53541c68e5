import { AUDIT_WRITER_GRANTS, createAuditTrail } from '@custos/audit';
import {
  checkedScalars,
  closeServer,
  createAuthenticator,
  type Logger,
  listen,
  prepareSharedRole,
} from '@custos/runtime';
import { createGatewayRuntime } from '@graphql-hive/gateway-runtime';
import type { GatewayConfig } from './config.js';
import { consoleConfigRoute, consoleRoute } from './console.js';
import type { EdgeContext } from './context.js';
import { devTokenRoute } from './dev-token-route.js';
import { LearnedPlans, useDirectToSubgraph } from './direct.js';
import { maskUnexpected, useSafeErrors } from './errors.js';
import { createHttpServer, useOperationName } from './http.js';
import { useIdentity } from './identity.js';
import { useQueryLimits } from './limits.js';
import { useEdgePrivacy } from './privacy/redactions.js';
import { publicRoute } from './public-route.js';
import { SubgraphClients } from './subgraph-client.js';
import { subgraphUrl } from './supergraph.js';

export interface GatewayOptions {
  readonly config: Omit<GatewayConfig, 'supergraphPath' | 'logLevel'>;
  /** The supergraph SDL, subgraph URLs already final (supergraph.ts). */
  readonly supergraph: string;
  readonly logger: Logger;
}

export interface Gateway {
  /** Where it listens, e.g. `http://127.0.0.1:4000` (GraphQL at `${url}/graphql`). */
  readonly url: string;
  /** Stores every audit event (its refusals) accepted so far (tests). */
  flushAudit(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Request headers every subgraph needs to apply the policy itself: who, why, and the GPC opt-out signal; and the
 * client's own request id, as the client's (the runtime sends the gateway's as `x-request-id`).
 */
const FORWARDED_HEADERS = ['authorization', 'x-purpose', 'sec-gpc', 'x-client-request-id'] as const;

/** Starts the federation gateway: Hive Gateway runtime behind our HTTP edge, listening on config.host:port. */
export async function createGateway(options: GatewayOptions): Promise<Gateway> {
  const { config, logger } = options;
  const identity = { config: { auth: config.auth, policyAllowAll: false } };
  // Refused requests are audited by the runtime's identity plugin only: the direct path (direct.ts) hands a request
  // it cannot authenticate to the runtime, which authenticates it again — one refusal, one count.
  const authenticate = createAuthenticator(identity);
  // Its own role may only write the audit trail: in production one that could read `contact` (Custos' application
  // role, the owner) refuses the start, as the tickets subgraph's does.
  if (config.audit) {
    await prepareSharedRole(
      { url: config.audit.databaseUrl ?? '', ownerUrl: config.audit.databaseOwnerUrl },
      AUDIT_WRITER_GRANTS,
      { production: config.production, logger },
    );
  }
  const audit = config.audit
    ? await createAuditTrail(config.audit, config.audit.databaseUrl ?? '', 'gateway', logger, {
        // Only refusals, from the buffer; its role may not read Custos' outbox (AUDIT_WRITER_GRANTS).
        drainsOutbox: false,
      })
    : undefined;
  if (!audit) logger.warn('no DATABASE_URL: requests the gateway refuses (401/403) are NOT audited');
  const authenticateAudited = createAuthenticator({ ...identity, refusals: audit?.refusals });
  const learned = new LearnedPlans();
  // The direct path's own connections to the subgraphs (subgraph-client.ts, or undici's Pool when configured),
  // closed with the gateway.
  // undici is loaded only when chosen: it needs Node 22.19, the project Node 22.17 (config.ts checks).
  const clients =
    config.subgraphClient === 'undici'
      ? new (await import('./subgraph-client-undici.js')).UndiciSubgraphClients({}, logger)
      : new SubgraphClients({}, logger);
  const runtime = createGatewayRuntime<EdgeContext>({
    supergraph: options.supergraph,
    logging: false,
    landingPage: false,
    graphiql: false,
    // Personal data and bearer tokens: only the console's origins may read answers from a browser.
    cors: {
      origin: [...config.corsOrigins],
      allowedHeaders: ['authorization', 'content-type', 'x-purpose', 'sec-gpc'],
      exposedHeaders: ['x-request-id'],
      methods: ['GET', 'POST'],
      maxAge: 600,
    },
    // No sharing of one subgraph answer between concurrent requests: each caller's answer is fetched with its
    // own token and purpose (the executor keys shared requests by headers too, but a clone per sharer costs
    // more than it saves, and nothing personal should ever be shared across requests).
    transportEntries: { '*.http': { options: { deduplicateInflightRequests: false } } },
    propagateHeaders: {
      fromClientToSubgraphs: ({ request }) =>
        Object.fromEntries(FORWARDED_HEADERS.map((name) => [name, request.headers.get(name)])),
    },
    ...(config.production ? { disableIntrospection: { disableIf: () => true } } : {}),
    maskedErrors: { maskError: maskUnexpected(logger) },
    // Custos' custom scalars with their rules: a value a subgraph would refuse is refused here, the same way.
    additionalResolvers: checkedScalars(),
    plugins: () => [
      useIdentity(authenticateAudited),
      ...useQueryLimits(config.limits, config.production),
      useOperationName(),
      useDirectToSubgraph(options.supergraph, learned, clients),
      useEdgePrivacy(),
      useSafeErrors(logger),
    ],
  });
  // The data-subject endpoints, and development tokens, are Custos' (its base URL: the subgraph's, without /graphql).
  const publicTarget = subgraphUrl(options.supergraph, 'custos')?.replace(/\/graphql$/, '');
  const server = createHttpServer({
    runtime,
    logger,
    maxBodyBytes: config.maxBodyBytes,
    corsOrigins: config.corsOrigins,
    ...(publicTarget
      ? {
          publicRoute: publicRoute({
            target: publicTarget,
            formOrigins: config.publicFormOrigins,
            trustedProxies: config.trustedProxies,
          }),
        }
      : {}),
    // Development tokens for the console's sign-in page: never in production (404 there, like any unknown path).
    ...(publicTarget && !config.production ? { devTokenRoute: devTokenRoute({ target: publicTarget }) } : {}),
    direct: { learned, authenticate, clients, maxCost: config.limits.maxCost },
    // The console's runtime configuration (development: what Vite's proxy asks for) and, with CONSOLE_DIR, its build.
    ...(config.console.auth ? { consoleConfigRoute: consoleConfigRoute(config.console.auth) } : {}),
    ...(config.console.dir
      ? { consoleRoute: consoleRoute({ ...config.console, dir: config.console.dir }) }
      : {}),
  });
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 30_000;
  const url = await listen(server, config.port, config.host);
  return {
    url,
    flushAudit: async () => audit?.writer?.flush(),
    async close() {
      await closeServer(server);
      clients.close();
      await runtime.dispose();
      audit?.refusals?.close();
      await audit?.writer?.close();
    },
  };
}
