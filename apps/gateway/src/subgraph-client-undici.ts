import type { Logger } from '@custos/runtime';
import { Pool } from 'undici';
import {
  Body,
  CLIENT_DEFAULTS,
  type ClientOptions,
  type DirectClients,
  forwardedHeaders,
  logSubgraphFailure,
  SubgraphHttpError,
  type SubgraphResponse,
} from './subgraph-client.js';

/**
 * The direct path's client built on undici's `Pool` (GATEWAY_SUBGRAPH_CLIENT=undici): the same interface and the
 * same limits as the hand-written one (subgraph-client.ts), so that the bench can measure the two in one run
 * (bench/README.md, "Gateway cost"). One pool per subgraph origin, HTTP/1.1 over TCP or TLS.
 *
 * The limits, as undici's options give them:
 * - connections per subgraph: `connections` (further requests wait in the pool's queue, in order);
 * - answer cap: `maxResponseSize` (a larger answer fails the request);
 * - deadline: an AbortSignal per request over the whole exchange, plus undici's own `headersTimeout` and
 *   `bodyTimeout` (inactivity timers) set to the same value;
 * - keep-alive: `keepAliveTimeout` (idle connections closed after it); a subgraph's Keep-Alive hint lowers it
 *   minus `keepAliveTimeoutThreshold` (1 s, as the hand-written client subtracts).
 * What differs: undici never repeats a request by itself, so a request that fails before its answer's headers with a
 * socket error (a kept-alive connection the subgraph closed while idle) is sent once more here — the hand-written
 * client repeats only when the connection was reused and no answer byte came, which undici does not expose. Bodies
 * are fresh buffers (undici's reads are not pooled), left to the garbage collector.
 */
export class UndiciSubgraphClients implements DirectClients {
  private readonly pools = new Map<string, Pool>();
  private readonly options: Required<ClientOptions>;
  private closed = false;

  constructor(
    options: ClientOptions = {},
    private readonly logger?: Pick<Logger, 'warn'>,
  ) {
    this.options = { ...CLIENT_DEFAULTS, ...options };
  }

  async post(url: string, headers: Record<string, string>, body: string): Promise<SubgraphResponse> {
    try {
      return await this.send(url, headers, body);
    } catch (error) {
      const failure = ours(error);
      logSubgraphFailure(this.logger, url, failure);
      throw failure;
    }
  }

  close(): void {
    this.closed = true;
    for (const pool of this.pools.values()) void pool.destroy().catch(() => undefined);
    this.pools.clear();
  }

  private async send(url: string, headers: Record<string, string>, body: string): Promise<SubgraphResponse> {
    if (this.closed) throw new SubgraphHttpError('client closed');
    const target = new URL(url);
    const outgoing = forwardedHeaders(headers);
    const signal = AbortSignal.timeout(this.options.timeoutMs);
    const request = {
      method: 'POST' as const,
      path: `${target.pathname}${target.search}`,
      headers: outgoing,
      body,
      signal,
    };
    const pool = this.pool(target.origin);
    let answer: Awaited<ReturnType<Pool['request']>>;
    try {
      answer = await pool.request(request);
    } catch (error) {
      if (!signal.aborted && isSocketError(error)) answer = await pool.request(request);
      else throw error;
    }
    const bytes = await answer.body.bytes();
    const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return { status: answer.statusCode, body: new Body(buffer, buffer.length, false) };
  }

  private pool(origin: string): Pool {
    let pool = this.pools.get(origin);
    if (!pool) {
      const { maxConnections, maxBodyBytes, timeoutMs, idleMs } = this.options;
      pool = new Pool(origin, {
        connections: maxConnections,
        maxResponseSize: maxBodyBytes,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        keepAliveTimeout: idleMs,
        keepAliveMaxTimeout: idleMs,
        keepAliveTimeoutThreshold: 1000,
        allowH2: false,
        connect: { noDelay: true },
      });
      this.pools.set(origin, pool);
    }
    return pool;
  }
}

/** undici's failures as ours: its error code, never a header value or an answer's content. */
function ours(error: unknown): Error {
  if (error instanceof SubgraphHttpError) return error;
  const code = (error as { code?: unknown } | undefined)?.code;
  const name = (error as { name?: unknown } | undefined)?.name;
  if (name === 'TimeoutError' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT')
    return new SubgraphHttpError('subgraph timeout');
  if (code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE') return new SubgraphHttpError('answer too large');
  if (code === 'UND_ERR_DESTROYED' || code === 'UND_ERR_CLOSED')
    return new SubgraphHttpError('client closed');
  if (code === 'UND_ERR_INVALID_ARG') return new SubgraphHttpError('invalid request header');
  return new SubgraphHttpError(`subgraph request failed (${typeof code === 'string' ? code : 'unknown'})`);
}

const SOCKET_ERRORS = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE']);
const isSocketError = (error: unknown): boolean =>
  SOCKET_ERRORS.has(String((error as { code?: unknown } | undefined)?.code));
