import { generateKeyPairSync } from 'node:crypto';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { createLogger, loadConfig } from '@custos/runtime';
import { loadGatewayConfig } from '../../../apps/gateway/src/config.js';
import { createGateway, type Gateway } from '../../../apps/gateway/src/gateway.js';
import { loadSupergraph } from '../../../apps/gateway/src/supergraph.js';
import {
  type GqlOptions,
  type GqlResponse,
  postGraphQL,
  startTestServer,
  type TestServer,
} from '../../../apps/subgraph/test/support/harness.js';
import { type RunningTickets, startTickets } from '../../../apps/tickets/src/bootstrap.js';
import { type Recorder, startRecorder } from './recorder.js';

/**
 * What a production gateway needs beside the identity provider to audit its refusals (README: database roles):
 * its own role, granted by the owner at its start, the services' data directory, and the audit trail's keys.
 */
export function productionAuditEnv(custos: TestServer): Record<string, string> {
  const { privateKey } = generateKeyPairSync('ed25519');
  return {
    DATABASE_URL: custos.gatewayDatabaseUrl,
    DATABASE_OWNER_URL: custos.databaseOwnerUrl,
    CUSTOS_DATA_DIR: custos.dataDir,
    AUDIT_SIGNING_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    AUDIT_HMAC_KEY: 'h'.repeat(32),
  };
}

export const SUPERGRAPH_PATH = fileURLToPath(new URL('../../../supergraph.graphql', import.meta.url));

/**
 * A gateway in front of `custos` (and of the tickets subgraph at `ticketsUrl`, else tickets unreachable), for the
 * data-subject endpoints it routes: forms may post from `formOrigin`.
 */
export function startPublicGateway(
  custos: TestServer,
  formOrigin: string,
  ticketsUrl = NOWHERE,
): Promise<Gateway> {
  return createGateway({
    config: loadGatewayConfig({
      NODE_ENV: 'test',
      PORT: '0',
      AUTH_JWKS_URL: `${custos.baseUrl}/.well-known/jwks.json`,
      PUBLIC_FORM_ORIGINS: formOrigin,
    }),
    supergraph: loadSupergraph(SUPERGRAPH_PATH, { custos: custos.graphqlUrl, tickets: ticketsUrl }),
    logger: createLogger('silent'),
  });
}

/** Where nothing listens: a subgraph a test did not start must fail loudly, never reach a developer's server. */
const NOWHERE = 'http://127.0.0.1:9/graphql';

/**
 * The tickets subgraph on `custos`' database (its demo tickets seeded for the contacts there), checking tokens
 * against Custos' development JWKS.
 */
export function startTicketsFor(
  custos: TestServer,
  env: Readonly<Record<string, string>> = {},
): Promise<RunningTickets> {
  return startTickets(
    loadConfig(
      {
        NODE_ENV: 'test',
        DATABASE_URL: custos.ticketsDatabaseUrl,
        DATABASE_OWNER_URL: custos.databaseOwnerUrl,
        // Its audit checkpoints and keys beside Custos', in the test's own directory.
        CUSTOS_DATA_DIR: custos.dataDir,
        PORT: '0',
        SEED_CONTACTS: '1',
        DB_POOL_MAX: '4',
        AUTH_JWKS_URL: `${custos.baseUrl}/.well-known/jwks.json`,
        ...env,
      },
      { port: 4002 },
    ),
    createLogger('silent'),
  );
}

export interface StartedGateway extends Gateway {
  /** Every log line the gateway wrote, as JSON text. */
  readonly logs: string[];
  /** A request to the gateway as a support agent declaring customer_support unless told otherwise. */
  gql<T = Record<string, unknown>>(query: string, options?: GqlOptions): Promise<GqlResponse<T>>;
}

export interface Federation {
  /** The Custos subgraph: real HTTP, real PostgreSQL, its dev JWKS and tokens. */
  readonly custos: TestServer;
  /** What the gateway sent each subgraph, by subgraph name (the supergraph's join__graph names). */
  readonly recorders: Readonly<Record<string, Recorder>>;
  readonly gateway: StartedGateway;
  /** The tickets subgraph, when asked for. */
  readonly tickets: RunningTickets | undefined;
  /** Another gateway over the same subgraphs, with more environment (limits, NODE_ENV, CORS). */
  startGateway(env?: Record<string, string>): Promise<StartedGateway>;
  close(): Promise<void>;
}

/**
 * The committed supergraph served by an in-process gateway on port 0, over the real Custos subgraph (and any
 * other subgraph URL a test passes, e.g. `{ tickets: … }`), each behind a {@link startRecorder} proxy.
 */
export async function startFederation(
  options: {
    seedContacts?: number;
    subgraphs?: Readonly<Record<string, string>>;
    tickets?: boolean;
    /** More environment for both subgraphs (e.g. wider query limits). */
    env?: Readonly<Record<string, string>>;
  } = {},
): Promise<Federation> {
  const custos = await startTestServer({ seedContacts: options.seedContacts ?? 0, env: { ...options.env } });
  const tickets = options.tickets ? await startTicketsFor(custos, options.env) : undefined;
  const targets: Record<string, string> = {
    tickets: tickets ? `${tickets.url}/graphql` : NOWHERE,
    ...options.subgraphs,
    custos: custos.graphqlUrl,
  };
  const recorders: Record<string, Recorder> = {};
  for (const [name, url] of Object.entries(targets)) recorders[name] = await startRecorder(url);
  const urls = Object.fromEntries(Object.entries(recorders).map(([name, recorder]) => [name, recorder.url]));
  const supergraph = loadSupergraph(SUPERGRAPH_PATH, urls);
  const gateways: StartedGateway[] = [];

  async function startGateway(env: Record<string, string> = {}): Promise<StartedGateway> {
    const logs: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        callback();
      },
    });
    const config = loadGatewayConfig({
      NODE_ENV: 'test',
      PORT: '0',
      AUTH_JWKS_URL: `${custos.baseUrl}/.well-known/jwks.json`,
      ...env,
    });
    const gateway = await createGateway({ config, supergraph, logger: createLogger('info', sink) });
    const defaultToken = await custos.token(['support_agent'], 'test-agent');
    const started: StartedGateway = {
      ...gateway,
      logs,
      gql: <T>(query: string, opts: GqlOptions = {}) =>
        postGraphQL<T>(`${gateway.url}/graphql`, query, {
          ...opts,
          token: opts.token === undefined ? defaultToken : opts.token,
        }),
    };
    gateways.push(started);
    return started;
  }

  const gateway = await startGateway();
  return {
    custos,
    recorders,
    gateway,
    tickets,
    startGateway,
    async close() {
      for (const started of gateways) await started.close();
      for (const recorder of Object.values(recorders)) await recorder.close();
      await tickets?.stop();
      await custos.close();
    },
  };
}
