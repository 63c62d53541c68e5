import { randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { ApolloServer } from '@apollo/server';
import { HeaderMap } from '@apollo/server';
import type { Logger } from '@custos/runtime';
import { BodyTooLarge, continueWithinLimit, errorBody, readBody, sendJson } from '@custos/runtime';
import type { DataContext, RequestContext, RequestInfo } from './context.js';
import { directLaneOf } from './graphql-server.js';

const UPSTREAM_ID = /^[A-Za-z0-9._:-]{1,100}$/;

export interface HttpOptions<C extends RequestContext> {
  readonly apollo: ApolloServer<C>;
  readonly logger: Logger;
  readonly maxBodyBytes: number;
  readonly context: (req: IncomingMessage, request: RequestInfo) => Promise<C>;
  readonly ready: () => Promise<boolean>;
  /** Endpoints without a staff token (the data-subject endpoints), by path. */
  readonly routes?: Readonly<Record<string, (req: IncomingMessage, res: ServerResponse) => Promise<number>>>;
  /** Development only: the public keys tokens are checked against. */
  readonly jwks?: unknown;
  /**
   * Queries the direct lane can answer skip Apollo's pipeline (direct-lane.ts). Default on; off only to compare
   * the two paths' answers (packages/server's tests).
   */
  readonly directLane?: boolean;
}

/**
 * The HTTP edge: health and readiness probes, the development JWKS, and POST/GET /graphql handed to
 * Apollo Server. Request logs carry method, path, status, duration and operation name — never headers,
 * variables, query text or response data.
 */
export function createHttpServer<C extends RequestContext>(options: HttpOptions<C>): http.Server {
  const { apollo, logger } = options;
  const lane =
    options.directLane === false
      ? undefined
      : directLaneOf(apollo as unknown as ApolloServer<C & DataContext<unknown>>);

  async function handleGraphQL(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    request: RequestInfo,
  ): Promise<number> {
    let body: unknown;
    if (req.method === 'POST') {
      let text: string;
      try {
        text = (await readBody(req, options.maxBodyBytes)).toString('utf8');
      } catch (error) {
        if (error instanceof BodyTooLarge) {
          sendJson(
            res,
            413,
            errorBody(`Request body is larger than ${options.maxBodyBytes} bytes`, 'BODY_TOO_LARGE'),
            { connection: 'close' },
          );
          return 413;
        }
        throw error;
      }
      const type = req.headers['content-type'] ?? '';
      if (type.includes('application/json')) {
        try {
          body = text === '' ? {} : JSON.parse(text);
        } catch {
          sendJson(res, 400, errorBody('Request body is not valid JSON', 'BAD_REQUEST'));
          return 400;
        }
      } else {
        body = text;
      }
    }
    let context = () => options.context(req, request);
    if (lane) {
      const outcome = await lane.answer({
        req,
        body,
        request,
        context: context as () => Promise<C & DataContext<unknown>>,
      });
      if ('answered' in outcome) {
        const { status, contentType, body: text } = outcome.answered;
        res.statusCode = status;
        res.setHeader('content-type', contentType);
        noStore(res);
        writeBody(res, text);
        return status;
      }
      context = outcome.apollo as () => Promise<C>;
    }
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    const result = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: req.method ?? 'GET', headers, search: url.search, body },
      context,
    });
    const status = result.status ?? 200;
    for (const [key, value] of result.headers) res.setHeader(key, value);
    noStore(res);
    res.statusCode = status;
    if (result.body.kind === 'complete') {
      res.end(result.body.string);
    } else {
      for await (const chunk of result.body.asyncIterator) res.write(chunk);
      res.end();
    }
    return status;
  }

  async function handle(req: IncomingMessage, res: ServerResponse, request: RequestInfo): Promise<number> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = options.routes?.[url.pathname];
    if (route && Object.hasOwn(options.routes ?? {}, url.pathname)) return route(req, res);
    switch (url.pathname) {
      case '/healthz':
        sendJson(res, 200, { status: 'ok' });
        return 200;
      case '/readyz': {
        const ready = await options.ready().catch(() => false);
        sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not ready' });
        return ready ? 200 : 503;
      }
      case '/.well-known/jwks.json':
        if (!options.jwks) break;
        sendJson(res, 200, options.jwks, { 'cache-control': 'public, max-age=300' });
        return 200;
      case '/graphql':
        if (req.method !== 'POST' && req.method !== 'GET') {
          sendJson(res, 405, errorBody('Use POST (or GET for queries)', 'METHOD_NOT_ALLOWED'), {
            allow: 'GET, POST',
          });
          return 405;
        }
        return handleGraphQL(req, res, url, request);
    }
    sendJson(res, 404, errorBody('Not found', 'NOT_FOUND'));
    return 404;
  }

  const server = http.createServer((req, res) => {
    const started = process.hrtime.bigint();
    const upstream = req.headers['x-request-id'];
    const request: RequestInfo = {
      id: randomUUID(),
      // The gateway's id joins this service's audit events to its request; informational only, so it is kept
      // only when it looks like an id.
      ...(typeof upstream === 'string' && UPSTREAM_ID.test(upstream) ? { upstreamId: upstream } : {}),
    };
    const requestId = request.id;
    // The client's own id, which the gateway passes on as the client's: logged beside ours, never audited as
    // the gateway's.
    const client = req.headers['x-client-request-id'];
    const clientRequestId = typeof client === 'string' && UPSTREAM_ID.test(client) ? client : undefined;
    res.setHeader('x-request-id', requestId);
    handle(req, res, request)
      .then((status) => {
        // Not even the log line's object when request logs are off (LOG_LEVEL above info).
        if (!logger.isLevelEnabled('info')) return;
        const path = req.url?.split('?')[0];
        if (path !== '/healthz' && path !== '/readyz') {
          const op = request.operationName;
          logger.info(
            {
              requestId,
              ...(clientRequestId ? { clientRequestId } : {}),
              method: req.method,
              path,
              op,
              status,
              ms: elapsed(started),
            },
            'request',
          );
        }
      })
      .catch((error: unknown) => {
        logger.error(
          { requestId, errorName: error instanceof Error ? error.name : 'unknown' },
          'request failed',
        );
        if (!res.headersSent) sendJson(res, 500, errorBody('Internal server error', 'INTERNAL_SERVER_ERROR'));
        else res.destroy();
      });
  });
  continueWithinLimit(server, options.maxBodyBytes);
  return server;
}

/** Responses may carry personal data: never stored by a browser, proxy or CDN (DESIGN.md). */
function noStore(res: ServerResponse): void {
  res.setHeader('cache-control', 'no-store');
  res.setHeader('x-content-type-options', 'nosniff');
}

function elapsed(started: bigint): number {
  return Number((process.hrtime.bigint() - started) / 1000n) / 1000;
}

/**
 * Ends `res` with `body` (a string, or the pieces of one: json-parts.ts) as its UTF-8 bytes in one buffer, each
 * piece encoded straight into it. Not as a string: node:http prepends the header block to a body given as a string,
 * and that joined string is copied once more, into the young generation, before the socket write encodes it; nor
 * joined first, which is one more copy (issue 16). The same bytes and headers either way.
 */
function writeBody(res: ServerResponse, body: string | readonly string[]): void {
  const pieces = typeof body === 'string' ? [body] : body;
  let length = 0;
  for (const piece of pieces) length += Buffer.byteLength(piece, 'utf8');
  const bytes = Buffer.allocUnsafe(length);
  let at = 0;
  for (const piece of pieces) at += bytes.write(piece, at, 'utf8');
  res.end(bytes);
}
