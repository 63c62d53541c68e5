import { randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import {
  type Authenticator,
  BodyTooLarge,
  continueWithinLimit,
  errorBody,
  header,
  type Logger,
  queryCost,
  readBody,
  sendJson,
} from '@custos/runtime';
import type { GatewayPlugin, GatewayRuntime } from '@graphql-hive/gateway-runtime';
import { type ExecutionResult, type GraphQLError, getOperationAST } from 'graphql';
import type { consoleConfigRoute, consoleRoute } from './console.js';
import type { ServerContext } from './context.js';
import type { devTokenRoute } from './dev-token-route.js';
import { askSubgraph, type LearnedPlans } from './direct.js';
import { safeSubgraphError } from './errors.js';
import type { publicRoute } from './public-route.js';
import { Body, type DirectClients } from './subgraph-client.js';

export interface HttpOptions {
  readonly runtime: GatewayRuntime;
  readonly logger: Logger;
  readonly maxBodyBytes: number;
  /** Browser origins allowed to read answers (the runtime's CORS configuration, for the direct answers too). */
  readonly corsOrigins: readonly string[];
  /** `/public/*`: the data-subject endpoints of the subgraph that serves them (public-route.ts). */
  readonly publicRoute?: ReturnType<typeof publicRoute>;
  /** `/dev/token`: development only, the Custos subgraph's development tokens (dev-token-route.ts). */
  readonly devTokenRoute?: ReturnType<typeof devTokenRoute>;
  /** `/config.json`: the console's runtime configuration (console.ts). */
  readonly consoleConfigRoute?: ReturnType<typeof consoleConfigRoute>;
  /** The console's static build, for any other path (console.ts); undefined: not served. */
  readonly consoleRoute?: ReturnType<typeof consoleRoute>;
  /** The direct path at the edge (direct.ts): query texts the runtime accepted, and how to check the caller. */
  readonly direct?: {
    readonly learned: LearnedPlans;
    readonly authenticate: Authenticator;
    readonly clients: DirectClients;
    /** `MAX_QUERY_COST`: the direct path prices each request as the runtime does (limits.ts). */
    readonly maxCost: number;
  };
}

interface GraphQLBody {
  readonly query: string;
  readonly operationName?: string | null;
  readonly variables?: Record<string, unknown> | null;
}

/** A plain GraphQL POST body (no extensions, no persisted query), or undefined. */
function graphQLBody(body: Buffer): GraphQLBody | undefined {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
    const { query, operationName, variables, extensions } = parsed;
    if (typeof query !== 'string' || extensions !== undefined) return undefined;
    if (operationName !== undefined && operationName !== null && typeof operationName !== 'string')
      return undefined;
    if (
      variables !== undefined &&
      variables !== null &&
      (typeof variables !== 'object' || Array.isArray(variables))
    ) {
      return undefined;
    }
    return parsed as unknown as GraphQLBody;
  } catch {
    return undefined;
  }
}

/** What a client's own request id may look like to be passed on (anything else is dropped). */
const CLIENT_REQUEST_ID = /^[A-Za-z0-9._:-]{1,100}$/;

/**
 * The request's ids: the gateway's own, always made here (the subgraphs record it in their audit events as the
 * gateway's), and the client's `x-request-id` when it sent a well-formed one — passed on only as the client's
 * (`x-client-request-id`), so that no client can choose the id the audit trail joins a request by.
 */
interface RequestIds {
  readonly gateway: string;
  readonly client: string | undefined;
}

function requestIds(req: IncomingMessage): RequestIds {
  const client = header(req, 'x-request-id');
  return {
    gateway: randomUUID(),
    client: client !== undefined && CLIENT_REQUEST_ID.test(client) ? client : undefined,
  };
}

/** Node's headers as fetch headers, for the runtime, with the request's ids. */
function fetchHeaders(req: IncomingMessage, ids: RequestIds): Headers {
  const headers = new Headers();
  for (const name of Object.keys(req.headers)) {
    const value = header(req, name);
    if (value !== undefined) headers.set(name, value);
  }
  headers.set('x-request-id', ids.gateway);
  headers.delete('x-client-request-id');
  if (ids.client) headers.set('x-client-request-id', ids.client);
  return headers;
}

/**
 * The HTTP edge around the Hive Gateway runtime: liveness and readiness probes, the body size limit (the
 * runtime has none), `Cache-Control: no-store` on every GraphQL answer (they carry personal data, DESIGN.md) and
 * one JSON request log line with method, path, status, duration, request id and operation name — never
 * headers, variables, query text or response data. Everything else (CORS, GraphQL over HTTP) is the runtime's.
 */
/**
 * CORS headers for a request from one of `origins` (none for any other origin, so a browser refuses to let that
 * page read the answer), exposing `expose`.
 */
export function corsHeaders(
  req: IncomingMessage,
  origins: readonly string[],
  expose: string,
): Record<string, string> {
  const origin = header(req, 'origin');
  return origin && origins.includes(origin)
    ? { 'access-control-allow-origin': origin, 'access-control-expose-headers': expose, vary: 'Origin' }
    : {};
}

export function createHttpServer(options: HttpOptions): http.Server {
  const { runtime, logger } = options;

  const safe = safeSubgraphError(logger);

  /**
   * CORS headers for an answer the edge writes itself (the direct path, 413, 404, 500), as the runtime writes
   * them for its own: a console in an allowed origin can read the error instead of seeing a network failure.
   */
  const cors = (req: IncomingMessage) => corsHeaders(req, options.corsOrigins, 'x-request-id');

  /**
   * The direct path without the runtime: a query text the runtime has accepted and answered on the direct path
   * for this purpose (so it parses, keeps the document limits and validates) and whose variables keep the cost
   * limit goes to its subgraph straight from here.
   * The caller is checked as always; anything unusual — a refused token, a subgraph answering other than 200 —
   * leaves the request to the runtime (the plan is a query: asking again is harmless), which answers it as
   * it answers everything. Undefined: not answered here.
   */
  async function answerDirectly(
    req: IncomingMessage,
    res: ServerResponse,
    server: ServerContext,
    ids: RequestIds,
    body: Buffer,
    direct: NonNullable<HttpOptions['direct']>,
  ): Promise<number | undefined> {
    const purpose = header(req, 'x-purpose');
    const params = purpose ? graphQLBody(body) : undefined;
    const known = params && direct.learned.find(purpose as string, params.operationName, params.query);
    if (!known) return undefined;
    // The text was accepted with its variables then; these are priced now, by the same model as the runtime's
    // (a text learned with `first: 1` must not run with `first: 500`). Over the maximum, the runtime refuses it.
    const request = { operationName: params.operationName, variables: params.variables };
    if (queryCost(known.schema, known.document, request) > direct.maxCost) return undefined;
    const principal = await direct.authenticate(req).catch(() => undefined);
    if (!principal || principal.purpose !== purpose) return undefined;
    const answer = await askSubgraph(
      direct.clients,
      known.plan,
      principal.purpose,
      (name) =>
        name === 'x-request-id'
          ? ids.gateway
          : name === 'x-client-request-id'
            ? ids.client
            : header(req, name),
      params.variables,
      {
        raw: true,
      },
    );
    if (answer?.status !== 200) return undefined;
    const render = ({ data, errors, extensions }: ExecutionResult) =>
      JSON.stringify({
        ...(errors?.length ? { errors: errors.map((error) => safe(error as GraphQLError).toJSON()) } : {}),
        ...(data !== undefined ? { data } : {}),
        ...(extensions ? { extensions } : {}),
      });
    const text = answer.raw ?? Body.of(render(answer.result));
    // Set on its own (not in writeHead) so that the request log can read it back.
    res.setHeader('x-request-id', ids.gateway);
    res.writeHead(200, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': text.length,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      ...cors(req),
    });
    text.end(res);
    if (known.operationName) server.requestLog.operationName = known.operationName.slice(0, 100);
    server.requestLog.path = 'direct';
    return 200;
  }

  async function forward(req: IncomingMessage, res: ServerResponse, server: ServerContext): Promise<number> {
    const method = req.method ?? 'GET';
    let body: Buffer | undefined;
    if (method !== 'GET' && method !== 'HEAD') {
      try {
        body = await readBody(req, options.maxBodyBytes);
      } catch (error) {
        if (!(error instanceof BodyTooLarge)) throw error;
        const message = `Request body is larger than ${options.maxBodyBytes} bytes`;
        sendJson(res, 413, errorBody(message, 'BODY_TOO_LARGE'), { connection: 'close', ...cors(req) });
        return 413;
      }
    }
    // Every request has the gateway's own id from here on: forwarded to subgraphs and answered with.
    const ids = requestIds(req);
    if (ids.client) server.requestLog.clientRequestId = ids.client;
    if (body && method === 'POST' && options.direct) {
      const status = await answerDirectly(req, res, server, ids, body, options.direct);
      if (status !== undefined) return status;
    }
    const url = new URL(req.url ?? '/', 'http://gateway');
    const response = await runtime.fetch(
      new Request(url, {
        method,
        headers: fetchHeaders(req, ids),
        ...(body ? { body: new Uint8Array(body) } : {}),
      }),
      server,
    );
    res.statusCode = response.status;
    response.headers.forEach((value, name) => {
      res.setHeader(name, value);
    });
    res.setHeader('cache-control', 'no-store');
    res.setHeader('x-content-type-options', 'nosniff');
    res.end(Buffer.from(await response.arrayBuffer()));
    return response.status;
  }

  async function handle(req: IncomingMessage, res: ServerResponse, server: ServerContext): Promise<number> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (options.publicRoute && path.startsWith('/public/')) {
      const url = new URL(req.url ?? '/', 'http://gateway');
      return options.publicRoute(req, res, url.pathname, url.search);
    }
    switch (path) {
      case '/healthz':
        sendJson(res, 200, { status: 'ok' });
        return 200;
      case '/readyz': {
        // Ready once the runtime has loaded the supergraph and built its plan (its own readiness check).
        const ready = await Promise.resolve(runtime.fetch('http://gateway/readiness')).then(
          (response) => response.ok,
          () => false,
        );
        sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not ready' });
        return ready ? 200 : 503;
      }
      case '/graphql':
        return forward(req, res, server);
      case '/dev/token':
        if (options.devTokenRoute) return options.devTokenRoute(req, res);
        break;
      case '/config.json':
        if (options.consoleConfigRoute) return options.consoleConfigRoute(req, res);
        break;
    }
    if (options.consoleRoute) {
      const status = await options.consoleRoute(req, res, path);
      if (status !== undefined) return status;
    }
    sendJson(res, 404, errorBody('Not found', 'NOT_FOUND'), cors(req));
    return 404;
  }

  const httpServer = http.createServer((req, res) => {
    const started = process.hrtime.bigint();
    const server: ServerContext = { req, requestLog: {} };
    handle(req, res, server)
      .then((status) => {
        const path = req.url?.split('?')[0];
        if (path === '/healthz' || path === '/readyz') return;
        const requestId = res.getHeader('x-request-id');
        const ms = Number((process.hrtime.bigint() - started) / 1000n) / 1000;
        logger.info(
          {
            requestId,
            method: req.method,
            path,
            op: server.requestLog.operationName,
            ...(server.requestLog.clientRequestId
              ? { clientRequestId: server.requestLog.clientRequestId }
              : {}),
            ...(server.requestLog.path ? { via: server.requestLog.path } : {}),
            status,
            ms,
          },
          'request',
        );
      })
      .catch((error: unknown) => {
        logger.error({ errorName: error instanceof Error ? error.name : 'unknown' }, 'request failed');
        if (!res.headersSent)
          sendJson(res, 500, errorBody('Internal server error', 'INTERNAL_SERVER_ERROR'), cors(req));
        else res.destroy();
      });
  });
  continueWithinLimit(httpServer, options.maxBodyBytes);
  return httpServer;
}

/** The operation's name (an identifier from the document, never a value) for the request log. */
export function useOperationName(): GatewayPlugin {
  return {
    onExecute({ args }) {
      const name = getOperationAST(args.document, args.operationName)?.name?.value;
      const log = (args.contextValue as Partial<ServerContext>).requestLog;
      if (name && log) log.operationName = name.slice(0, 100);
    },
  };
}
