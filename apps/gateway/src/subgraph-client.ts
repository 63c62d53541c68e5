import type { ServerResponse } from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Logger } from '@custos/runtime';

/**
 * The direct path's HTTP client (direct.ts): one POST of a GraphQL request to a subgraph, its status and body.
 *
 * Why not node:http or fetch. Both allocate a fresh buffer for every read from the socket (and fetch adds the
 * WHATWG streams: a sixth of the gateway's CPU on this path, measured with --cpu-prof). Every buffer is memory
 * outside the JavaScript heap, and V8 answers a steady stream of it with mark-compact collections of the
 * gateway's whole heap — tens of MB (the runtime, the schemas), so at `contacts(first: 500)` (170 kB answers)
 * collecting cost the gateway more CPU than forwarding (bench/README.md, "Gateway cost"). Here every
 * connection reads into one shared buffer (`onread`: the callback runs synchronously, so one buffer serves all
 * sockets), bodies are copied once into buffers taken from a small pool, and a body goes back to the pool when
 * the caller is done with it (`Body.release`, `Body.end`). Nothing is allocated per read.
 *
 * What it speaks: HTTP/1.1 over plain TCP (https URLs use node:https, below), kept-alive connections (at most
 * `maxConnections` per subgraph, the rest wait in order), bodies framed by Content-Length or chunked encoding
 * (a body ended by closing the connection, as HTTP/1.0 servers send, too). A request that fails on a reused
 * connection before any answer byte (the subgraph closed it while idle) is sent once more on a new one: the
 * direct path only sends queries, which are safe to repeat. Header values with control characters are refused
 * before anything is sent; answers with contradicting framing, oversized headers or bodies, or a malformed
 * status line fail the request (the gateway then answers its generic error).
 */

export interface ClientOptions {
  /** Connections per subgraph; further requests wait for one. */
  readonly maxConnections?: number;
  /** Largest body accepted; a larger answer fails the request. */
  readonly maxBodyBytes?: number;
  /** Whole request deadline. */
  readonly timeoutMs?: number;
  /** An idle connection is closed after this long (less when the subgraph's Keep-Alive hint says so). */
  readonly idleMs?: number;
}

export const CLIENT_DEFAULTS = {
  maxConnections: 128,
  maxBodyBytes: 32 * 1024 * 1024,
  timeoutMs: 30_000,
  idleMs: 4_000,
} satisfies Required<ClientOptions>;

const MAX_HEADER_BYTES = 16 * 1024;
const EMPTY = Buffer.alloc(0);

/** Reused bodies: buffers by power-of-two size, a few of each, 32 MiB at most in all. */
const pool = new Map<number, Buffer[]>();
const POOL_PER_SIZE = 16;
const POOL_MAX_SIZE = 4 * 1024 * 1024;
const POOL_MAX_BYTES = 32 * 1024 * 1024;
const MIN_BODY_BUFFER = 16 * 1024;
let pooledBytes = 0;

function takeBuffer(size: number): Buffer {
  let capacity = MIN_BODY_BUFFER;
  while (capacity < size) capacity *= 2;
  const reused = pool.get(capacity)?.pop();
  if (!reused) return Buffer.allocUnsafeSlow(capacity);
  pooledBytes -= reused.length;
  return reused;
}

function giveBuffer(buffer: Buffer): void {
  if (buffer.length > POOL_MAX_SIZE || pooledBytes + buffer.length > POOL_MAX_BYTES) return;
  const free = pool.get(buffer.length) ?? [];
  if (free.length >= POOL_PER_SIZE) return;
  free.push(buffer);
  pool.set(buffer.length, free);
  pooledBytes += buffer.length;
}

/** An answer's body: bytes in a pooled buffer, valid until `release` (or `end`) hands the buffer back. */
export class Body {
  private buffer: Buffer | undefined;
  private readonly pooled: boolean;

  constructor(
    buffer: Buffer,
    readonly length: number,
    pooled = true,
  ) {
    this.buffer = buffer;
    this.pooled = pooled;
  }

  static of(text: string): Body {
    const bytes = Buffer.from(text, 'utf8');
    return new Body(bytes, bytes.length, false);
  }

  /** The bytes; throws after release (a use-after-release would read another answer). */
  bytes(): Buffer {
    if (!this.buffer) throw new Error('body used after release');
    return this.buffer.subarray(0, this.length);
  }

  /** Whether the bytes contain `needle` (ASCII). */
  includes(needle: string): boolean {
    return this.bytes().includes(needle, 0, 'latin1');
  }

  /** Whether the bytes begin with `prefix` (ASCII). */
  startsWith(prefix: string): boolean {
    return this.length >= prefix.length && this.bytes().toString('latin1', 0, prefix.length) === prefix;
  }

  /** The bytes as UTF-8 text; releases the body. */
  text(): string {
    const text = this.bytes().toString('utf8');
    this.release();
    return text;
  }

  release(): void {
    const buffer = this.buffer;
    this.buffer = undefined;
    if (buffer && this.pooled) giveBuffer(buffer);
  }

  /** Writes the bytes as the answer's last (headers must be written already); released once written or closed. */
  end(res: ServerResponse): void {
    const release = () => this.release();
    res.once('close', release);
    res.end(this.bytes(), release);
  }
}

export interface SubgraphResponse {
  readonly status: number;
  readonly body: Body;
}

export class SubgraphHttpError extends Error {
  override readonly name = 'SubgraphHttpError';
}

/**
 * What the direct path (direct.ts, http.ts) needs of a client: SubgraphClients below, or undici's Pool behind the
 * same interface (subgraph-client-undici.ts, GATEWAY_SUBGRAPH_CLIENT=undici).
 */
export interface DirectClients {
  /** POSTs `body` to a subgraph `url`; rejects on a network error, a timeout or a broken answer. */
  post(url: string, headers: Record<string, string>, body: string): Promise<SubgraphResponse>;
  /** Closes every kept-alive connection (shutdown). */
  close(): void;
}

/** Framing and hop-by-hop headers are the client's own: never taken from the caller. */
const OWN_HEADERS = new Set(['content-length', 'host', 'transfer-encoding', 'connection']);

/** The caller's headers without the ones the client sets itself. */
export function forwardedHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers))
    if (!OWN_HEADERS.has(name.toLowerCase())) kept[name] = value;
  return kept;
}

/** One warning per failed subgraph request. The reason is ours or the network's (a code, an address): never a
 * header value or an answer's content. */
export function logSubgraphFailure(
  logger: Pick<Logger, 'warn'> | undefined,
  url: string,
  error: Error,
): void {
  logger?.warn(
    { subgraph: new URL(url).host, errorName: error.name, reason: error.message.slice(0, 200) },
    'subgraph request failed',
  );
}

/** One shared read buffer: `onread` callbacks run synchronously and copy out before returning. */
const READ_BUFFER = Buffer.allocUnsafeSlow(64 * 1024);

enum State {
  Idle,
  Head,
  Length,
  ChunkSize,
  ChunkData,
  ChunkDataEnd,
  Trailers,
  UntilClose,
}

interface Pending {
  readonly resolve: (response: SubgraphResponse) => void;
  readonly reject: (error: Error) => void;
  readonly payload: Buffer;
  readonly timer: NodeJS.Timeout;
  /** Sent once more on a new connection if this one fails before any answer byte. */
  retriable: boolean;
  /** Where it is in flight, if it is. */
  connection?: Connection | undefined;
}

class Connection {
  readonly socket: net.Socket;
  private state = State.Idle;
  private pending: Pending | undefined;
  private head = EMPTY;
  private status = 0;
  private body: Buffer | undefined;
  private bodyLength = 0;
  private remaining = 0;
  private chunkLine = '';
  private keepAlive = true;
  private received = false;
  /** Used for at least one answer: a failure before any byte may be the subgraph closing it while idle. */
  reused = false;
  idleTimer: NodeJS.Timeout | undefined;
  keepAliveMs: number;

  constructor(
    private readonly client: SubgraphClient,
    host: string,
    port: number,
    private readonly maxBodyBytes: number,
    idleMs: number,
  ) {
    this.keepAliveMs = idleMs;
    this.socket = net.connect({
      host,
      port,
      noDelay: true,
      onread: {
        buffer: READ_BUFFER,
        callback: (bytes: number, buffer: Uint8Array) => {
          try {
            this.consume(buffer as Buffer, 0, bytes);
          } catch (error) {
            this.fail(error instanceof Error ? error : new SubgraphHttpError(String(error)));
          }
          return true;
        },
      },
    });
    this.socket.on('error', (error) => this.fail(error));
    this.socket.on('end', () => {
      if (this.state === State.UntilClose) this.finish();
    });
    // fail() also forgets the connection, idle or busy.
    this.socket.on('close', () => this.fail(new SubgraphHttpError('connection closed by the subgraph')));
  }

  send(pending: Pending): void {
    pending.connection = this;
    this.pending = pending;
    this.state = State.Head;
    this.head = EMPTY;
    this.received = false;
    this.socket.write(pending.payload);
  }

  private consume(input: Buffer, start: number, stop: number): void {
    let data = input;
    let offset = start;
    let end = stop;
    if (offset < end) this.received = true;
    while (offset < end) {
      switch (this.state) {
        case State.Idle:
          throw new SubgraphHttpError('answer bytes without a request');
        case State.Head: {
          // Headers are small; usually the whole head (often the whole answer) is in this read.
          let source = data;
          let from = offset;
          if (this.head.length > 0) {
            source = Buffer.concat([this.head, data.subarray(offset, end)]);
            from = 0;
            end = source.length;
          }
          const blank = source.subarray(from, end).indexOf('\r\n\r\n', 0, 'latin1');
          if (blank < 0 || blank > MAX_HEADER_BYTES) {
            if (end - from > MAX_HEADER_BYTES) throw new SubgraphHttpError('answer headers too large');
            this.head = Buffer.from(source.subarray(from, end));
            return;
          }
          this.head = EMPTY;
          this.parseHead(source.toString('latin1', from, from + blank));
          data = source;
          offset = from + blank + 4;
          if ((this.state as State) === State.Idle) {
            if (offset < end) throw new SubgraphHttpError('answer bytes beyond the declared length');
            this.finish();
            return;
          }
          break;
        }
        case State.Length: {
          offset = this.take(data, offset, end);
          if (this.remaining === 0) {
            if (offset < end) throw new SubgraphHttpError('answer bytes beyond the declared length');
            this.finish();
          }
          break;
        }
        case State.UntilClose: {
          this.append(data, offset, end - offset);
          offset = end;
          break;
        }
        case State.ChunkSize:
        case State.Trailers: {
          const newline = data.indexOf(10, offset);
          const stop = newline < 0 ? end : Math.min(newline + 1, end);
          this.chunkLine += data.toString('latin1', offset, stop);
          offset = stop;
          if (this.chunkLine.length > 4096) throw new SubgraphHttpError('malformed chunked answer');
          if (!this.chunkLine.endsWith('\r\n')) break;
          const line = this.chunkLine.slice(0, -2);
          this.chunkLine = '';
          if (this.state === State.Trailers) {
            if (line === '') {
              if (offset < end) throw new SubgraphHttpError('answer bytes beyond the chunked body');
              this.finish();
            }
            break;
          }
          const size = /^([0-9a-fA-F]{1,8})(?:[ \t]*;.*)?$/.exec(line);
          if (!size) throw new SubgraphHttpError('malformed chunk size');
          this.remaining = Number.parseInt(size[1] as string, 16);
          this.state = this.remaining === 0 ? State.Trailers : State.ChunkData;
          break;
        }
        case State.ChunkData: {
          offset = this.take(data, offset, end);
          if (this.remaining === 0) {
            this.state = State.ChunkDataEnd;
            this.chunkLine = '';
          }
          break;
        }
        case State.ChunkDataEnd: {
          this.chunkLine += data.toString('latin1', offset, offset + 1);
          offset += 1;
          if (this.chunkLine.length === 2) {
            if (this.chunkLine !== '\r\n') throw new SubgraphHttpError('malformed chunked answer');
            this.chunkLine = '';
            this.state = State.ChunkSize;
          }
          break;
        }
      }
    }
  }

  private parseHead(head: string): void {
    const lines = head.split('\r\n');
    const statusLine = /^HTTP\/1\.[01] (\d{3})(?: |$)/.exec(lines[0] ?? '');
    if (!statusLine) throw new SubgraphHttpError('malformed status line');
    const status = Number(statusLine[1]);
    let length: number | undefined;
    let chunked = false;
    let close = lines[0]?.startsWith('HTTP/1.0') ?? false;
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon <= 0) throw new SubgraphHttpError('malformed answer header');
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === 'content-length') {
        if (!/^\d{1,15}$/.test(value)) throw new SubgraphHttpError('malformed content-length');
        const declared = Number(value);
        if (length !== undefined && length !== declared)
          throw new SubgraphHttpError('contradicting content-length');
        length = declared;
      } else if (name === 'transfer-encoding') {
        const codings = list(value);
        if (codings.at(-1) !== 'chunked' || codings.length !== 1)
          throw new SubgraphHttpError('unsupported transfer-encoding');
        chunked = true;
      } else if (name === 'connection') {
        const options = list(value);
        if (options.includes('close')) close = true;
        else if (options.includes('keep-alive')) close = false;
      } else if (name === 'keep-alive') {
        const timeout = /(?:^|,)\s*timeout=(\d+)/i.exec(value);
        if (timeout)
          this.keepAliveMs = Math.min(this.keepAliveMs, Math.max(0, Number(timeout[1]) * 1000 - 1000));
      }
    }
    if (chunked && length !== undefined) throw new SubgraphHttpError('both content-length and chunked');
    if (status >= 100 && status < 200) {
      // An interim answer (we never send Expect): the final one follows.
      this.state = State.Head;
      return;
    }
    this.status = status;
    this.keepAlive = !close;
    this.bodyLength = 0;
    if (length !== undefined && length > this.maxBodyBytes) throw new SubgraphHttpError('answer too large');
    this.body = takeBuffer(length ?? MIN_BODY_BUFFER);
    if (status === 204 || status === 304 || length === 0) {
      this.state = State.Idle;
    } else if (chunked) {
      this.state = State.ChunkSize;
    } else if (length !== undefined) {
      this.state = State.Length;
      this.remaining = length;
    } else {
      this.state = State.UntilClose;
      this.keepAlive = false;
    }
  }

  /** Copies up to `remaining` body bytes from `data[offset, end)`; returns the offset after them. */
  private take(data: Buffer, offset: number, end: number): number {
    const count = Math.min(this.remaining, end - offset);
    this.append(data, offset, count);
    this.remaining -= count;
    return offset + count;
  }

  private append(data: Buffer, offset: number, count: number): void {
    let body = this.body as Buffer;
    const needed = this.bodyLength + count;
    if (needed > this.maxBodyBytes) throw new SubgraphHttpError('answer too large');
    if (needed > body.length) {
      const bigger = takeBuffer(needed);
      body.copy(bigger, 0, 0, this.bodyLength);
      giveBuffer(body);
      body = bigger;
      this.body = bigger;
    }
    data.copy(body, this.bodyLength, offset, offset + count);
    this.bodyLength = needed;
  }

  private finish(): void {
    const pending = this.pending;
    const body = this.body;
    this.pending = undefined;
    this.body = undefined;
    this.state = State.Idle;
    if (!pending || !body) return;
    pending.connection = undefined;
    clearTimeout(pending.timer);
    this.reused = true;
    pending.resolve({ status: this.status, body: new Body(body, this.bodyLength) });
    if (this.keepAlive) this.client.idle(this);
    else this.socket.destroy();
  }

  /** Fails the request in flight, if any; the connection is closed and forgotten. */
  fail(error: Error): void {
    const pending = this.pending;
    this.pending = undefined;
    if (this.body) giveBuffer(this.body);
    this.body = undefined;
    this.state = State.Idle;
    if (!this.socket.destroyed) this.socket.destroy();
    this.client.forget(this);
    if (!pending) return;
    pending.connection = undefined;
    if (pending.retriable && this.reused && !this.received) {
      pending.retriable = false;
      this.client.dispatch(pending);
      return;
    }
    clearTimeout(pending.timer);
    pending.reject(error);
  }

  timeout(): void {
    this.fail(new SubgraphHttpError('subgraph timeout'));
  }
}

/** A comma-separated header value's members, lower-cased. */
const list = (value: string) =>
  value
    .toLowerCase()
    .split(',')
    .map((member) => member.trim());

/** Header values are the client's (already parsed by node:http) or ours; control characters never go out. */
const UNSAFE_VALUE = /[\0\r\n]/;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Kept-alive HTTP/1.1 connections to one subgraph URL. */
export class SubgraphClient {
  private readonly url: URL;
  private readonly options: Required<ClientOptions>;
  private readonly free: Connection[] = [];
  private readonly all = new Set<Connection>();
  private readonly waiting: Pending[] = [];
  private closed = false;

  /** `onFailure`: told of every request that fails (after the retry), for the log; the caller gets it too. */
  constructor(
    url: string,
    options: ClientOptions = {},
    private readonly onFailure?: (error: Error) => void,
  ) {
    this.url = new URL(url);
    if (this.url.protocol !== 'http:') throw new Error('SubgraphClient speaks http: only');
    this.options = { ...CLIENT_DEFAULTS, ...options };
  }

  /** Open connections (idle or busy). */
  get connections(): number {
    return this.all.size;
  }

  post(headers: Readonly<Record<string, string>>, body: string): Promise<SubgraphResponse> {
    if (this.closed) return Promise.reject(new SubgraphHttpError('client closed'));
    const payload = Buffer.byteLength(body);
    let head = `POST ${this.url.pathname}${this.url.search} HTTP/1.1\r\nhost: ${this.url.host}\r\n`;
    for (const [name, value] of Object.entries(forwardedHeaders(headers))) {
      if (!TOKEN.test(name) || UNSAFE_VALUE.test(value))
        return Promise.reject(new SubgraphHttpError(`invalid header ${TOKEN.test(name) ? name : ''}`.trim()));
      head += `${name}: ${value}\r\n`;
    }
    head += `content-length: ${payload}\r\n\r\n`;
    const bytes = Buffer.from(head + body, 'utf8');
    return new Promise((resolve, fail) => {
      const reject = (error: Error) => {
        this.onFailure?.(error);
        fail(error);
      };
      const pending: Pending = {
        resolve,
        reject,
        payload: bytes,
        retriable: true,
        timer: setTimeout(() => {
          pending.retriable = false;
          const connection = pending.connection;
          if (connection) connection.timeout();
          else {
            const index = this.waiting.indexOf(pending);
            if (index >= 0) this.waiting.splice(index, 1);
            reject(new SubgraphHttpError('subgraph timeout'));
          }
        }, this.options.timeoutMs),
      };
      this.dispatch(pending);
    });
  }

  /** Sends `pending` on an idle connection, a new one, or queues it. */
  dispatch(pending: Pending): void {
    if (this.closed) {
      clearTimeout(pending.timer);
      pending.reject(new SubgraphHttpError('client closed'));
      return;
    }
    let connection = this.free.pop();
    if (connection) clearTimeout(connection.idleTimer);
    else if (this.all.size < this.options.maxConnections) {
      connection = new Connection(
        this,
        this.url.hostname.replace(/^\[|\]$/g, ''),
        Number(this.url.port || 80),
        this.options.maxBodyBytes,
        this.options.idleMs,
      );
      this.all.add(connection);
    } else {
      this.waiting.push(pending);
      return;
    }
    connection.send(pending);
  }

  /** A connection finished its answer and may carry the next request. */
  idle(connection: Connection): void {
    const next = this.waiting.shift();
    if (next) {
      connection.send(next);
      return;
    }
    if (this.closed || connection.keepAliveMs <= 0) {
      connection.socket.destroy();
      return;
    }
    this.free.push(connection);
    connection.idleTimer = setTimeout(() => connection.socket.destroy(), connection.keepAliveMs);
    connection.idleTimer.unref();
  }

  /** A connection closed: not offered again; a waiting request may now open a new one. */
  forget(connection: Connection): void {
    if (!this.all.delete(connection)) return;
    clearTimeout(connection.idleTimer);
    const index = this.free.indexOf(connection);
    if (index >= 0) this.free.splice(index, 1);
    const next = this.waiting.shift();
    if (next) this.dispatch(next);
  }

  close(): void {
    this.closed = true;
    for (const connection of this.all) connection.socket.destroy();
    for (const pending of this.waiting.splice(0)) {
      clearTimeout(pending.timer);
      pending.reject(new SubgraphHttpError('client closed'));
    }
  }
}

/** Every subgraph a gateway talks to on the direct path: a client per plain-HTTP URL, node:https for TLS. */
export class SubgraphClients implements DirectClients {
  private readonly clients = new Map<string, SubgraphClient>();
  /** TLS sockets have no `onread`: https subgraphs go through node:https, bodies joined into one buffer. */
  private readonly tlsAgent = new https.Agent({
    keepAlive: true,
    maxSockets: CLIENT_DEFAULTS.maxConnections,
  });
  private closed = false;

  /** `logger`: one warning per failed subgraph request, naming the subgraph's host and the reason. */
  constructor(
    private readonly options: ClientOptions = {},
    private readonly logger?: Pick<Logger, 'warn'>,
  ) {}

  /** POSTs `body` to a subgraph `url`; rejects on a network error, a timeout or a broken answer. */
  post(url: string, headers: Record<string, string>, body: string): Promise<SubgraphResponse> {
    if (this.closed) return Promise.reject(new SubgraphHttpError('client closed'));
    if (url.startsWith('https:')) {
      return this.postTls(url, headers, body).catch((error: Error) => {
        this.failed(url, error);
        throw error;
      });
    }
    let client = this.clients.get(url);
    if (!client) {
      client = new SubgraphClient(url, this.options, (error) => this.failed(url, error));
      this.clients.set(url, client);
    }
    return client.post(headers, body);
  }

  private failed(url: string, error: Error): void {
    logSubgraphFailure(this.logger, url, error);
  }

  /** Closes every kept-alive connection (shutdown). */
  close(): void {
    this.closed = true;
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
    this.tlsAgent.destroy();
  }

  private postTls(url: string, headers: Record<string, string>, body: string): Promise<SubgraphResponse> {
    const { maxBodyBytes, timeoutMs } = { ...CLIENT_DEFAULTS, ...this.options };
    return new Promise((resolve, reject) => {
      const request = https.request(
        url,
        {
          method: 'POST',
          agent: this.tlsAgent,
          headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        },
        (response) => {
          const chunks: Buffer[] = [];
          let length = 0;
          response.on('data', (chunk: Buffer) => {
            length += chunk.length;
            if (length > maxBodyBytes) request.destroy(new SubgraphHttpError('answer too large'));
            else chunks.push(chunk);
          });
          response.on('end', () =>
            resolve({
              status: response.statusCode ?? 0,
              body: new Body(Buffer.concat(chunks), length, false),
            }),
          );
          response.on('error', reject);
        },
      );
      request.setTimeout(timeoutMs, () => request.destroy(new SubgraphHttpError('subgraph timeout')));
      request.on('error', reject);
      request.end(body);
    });
  }
}
