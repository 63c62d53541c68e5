import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type ClientOptions,
  type DirectClients,
  SubgraphClient,
  SubgraphClients,
  type SubgraphResponse,
} from '../src/subgraph-client.js';
import { UndiciSubgraphClients } from '../src/subgraph-client-undici.js';

/**
 * The direct path's HTTP/1.1 client against real servers on loopback: node:http as subgraphs run it, and raw
 * TCP servers for what node:http never sends (split heads, interim answers, broken framing, a connection
 * closed while idle).
 */

const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

interface Served {
  readonly url: string;
  /** Connections the server accepted. */
  readonly connections: () => number;
  /** Request bodies and headers the server received. */
  readonly received: { body: string; headers: http.IncomingHttpHeaders }[];
}

async function httpServer(
  handler: (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void,
  tune: (server: http.Server) => void = () => {},
): Promise<Served> {
  let connections = 0;
  const received: Served['received'] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({ body, headers: req.headers });
      handler(req, res, body);
    });
  });
  server.on('connection', () => connections++);
  tune(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => server.close());
  closers.push(() => server.closeAllConnections());
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/graphql`, connections: () => connections, received };
}

/** A TCP server that answers each request (one per read of a blank line) with `answer(n)`, written in pieces. */
async function rawServer(
  answer: (n: number, socket: net.Socket) => readonly (string | Buffer)[] | undefined,
): Promise<{ url: string; connections: () => number }> {
  let connections = 0;
  let requests = 0;
  const server = net.createServer((socket) => {
    connections++;
    let pending = '';
    socket.on('data', async (data) => {
      pending += data.toString('latin1');
      const blank = pending.indexOf('\r\n\r\n');
      if (blank < 0) return;
      const length = Number(/content-length: (\d+)/i.exec(pending.slice(0, blank))?.[1] ?? 0);
      if (pending.length < blank + 4 + length) return;
      pending = pending.slice(blank + 4 + length);
      const pieces = answer(requests++, socket);
      for (const piece of pieces ?? []) {
        socket.write(piece);
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => server.close());
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/graphql`, connections: () => connections };
}

function client(url: string, options: ConstructorParameters<typeof SubgraphClient>[1] = {}) {
  const made = new SubgraphClient(url, options);
  closers.push(() => made.close());
  return made;
}

/**
 * Twelve requests at once through a client limited to two connections (`connect`: the client's send for the
 * server's URL): all answered with their own body, never more than two in flight, over exactly two connections.
 */
async function atMostMaxConnections(connect: (url: string) => (body: string) => Promise<SubgraphResponse>) {
  let inFlight = 0;
  let most = 0;
  const served = await httpServer((_req, res, body) => {
    inFlight++;
    most = Math.max(most, inFlight);
    setTimeout(() => {
      inFlight--;
      res.writeHead(200, { 'content-length': Buffer.byteLength(body) });
      res.end(body);
    }, 10);
  });
  const send = connect(served.url);
  const answers = await Promise.all(
    Array.from({ length: 12 }, (_, n) => send(`{"n":${n}}`).then((a) => a.body.text())),
  );
  expect(answers).toEqual(Array.from({ length: 12 }, (_, n) => `{"n":${n}}`));
  expect(most).toBe(2);
  expect(served.connections()).toBe(2);
}

const json = { 'content-type': 'application/json' };

describe('answers framed by Content-Length', () => {
  it('returns status and exact bytes, and carries later requests on the same kept-alive connection', async () => {
    const served = await httpServer((_req, res, body) => {
      const text = JSON.stringify({ data: { echo: JSON.parse(body).n, pad: 'x'.repeat(200_000) } });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    });
    const subgraph = client(served.url);
    for (let n = 0; n < 20; n++) {
      const { status, body } = await subgraph.post(json, JSON.stringify({ n }));
      expect(status).toBe(200);
      const parsed = JSON.parse(body.text());
      expect(parsed.data.echo).toBe(n);
      expect(parsed.data.pad).toHaveLength(200_000);
    }
    expect(served.connections()).toBe(1);
    expect(served.received[0]?.headers['content-type']).toBe('application/json');
  });

  it('sends at most maxConnections at once; the rest wait and are all answered', async () => {
    await atMostMaxConnections((url) => {
      const subgraph = client(url, { maxConnections: 2 });
      return (body) => subgraph.post(json, body);
    });
  });

  it('answers with no body (204, length 0)', async () => {
    const served = await httpServer((req, res) => {
      res.writeHead(req.headers['x-case'] === 'empty' ? 200 : 204, { 'content-length': '0' });
      res.end();
    });
    const subgraph = client(served.url);
    const noContent = await subgraph.post({}, '{}');
    expect([noContent.status, noContent.body.length]).toEqual([204, 0]);
    const empty = await subgraph.post({ 'x-case': 'empty' }, '{}');
    expect([empty.status, empty.body.length]).toEqual([200, 0]);
  });
});

describe('other framings', () => {
  it('decodes chunked answers as node:http streams them', async () => {
    const served = await httpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"data":');
      setTimeout(() => {
        res.write(`"${'é'.repeat(40_000)}"`);
        res.end('}');
      }, 5);
    });
    const { body } = await client(served.url).post(json, '{}');
    expect(JSON.parse(body.text())).toEqual({ data: 'é'.repeat(40_000) });
  });

  it('reads heads and chunk sizes split across reads, extensions and trailers included', async () => {
    const served = await rawServer(() => [
      'HTTP/1.1 200 OK\r\nTransfer-Enc',
      'oding: chunked\r\n',
      '\r',
      '\n5;ext=1\r',
      '\nhello\r\n',
      '6\r\n world\r\n0\r\nx-trailer: 1\r\n',
      '\r\n',
    ]);
    const subgraph = client(served.url);
    expect((await subgraph.post({}, 'a')).body.text()).toBe('hello world');
    expect((await subgraph.post({}, 'b')).body.text()).toBe('hello world');
    expect(served.connections()).toBe(1);
  });

  it('skips an interim 1xx answer', async () => {
    const served = await rawServer(() => [
      'HTTP/1.1 103 Early Hints\r\nlink: </x>\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok',
    ]);
    const { status, body } = await client(served.url).post({}, '{}');
    expect([status, body.text()]).toEqual([200, 'ok']);
  });

  it('reads a body ended by closing the connection, and opens a new one next time', async () => {
    const served = await rawServer((_n, socket) => {
      socket.end('HTTP/1.0 200 OK\r\ncontent-type: application/json\r\n\r\n{"data":1}');
      return [];
    });
    const subgraph = client(served.url);
    expect((await subgraph.post({}, '{}')).body.text()).toBe('{"data":1}');
    expect((await subgraph.post({}, '{}')).body.text()).toBe('{"data":1}');
    expect(served.connections()).toBe(2);
  });
});

describe('connections the subgraph closes', () => {
  it('honours Connection: close', async () => {
    const served = await httpServer((_req, res) => {
      res.writeHead(200, { 'content-length': '2', connection: 'close' });
      res.end('ok');
    });
    const subgraph = client(served.url);
    expect((await subgraph.post({}, '{}')).body.text()).toBe('ok');
    expect((await subgraph.post({}, '{}')).body.text()).toBe('ok');
    expect(served.connections()).toBe(2);
  });

  it('sends a query once more on a new connection when a kept-alive one was closed while idle', async () => {
    // The server closes each connection right after its answer without saying so: the next request on it fails
    // before any answer byte, as when a subgraph's keep-alive timeout races a new request.
    const served = await rawServer((_n, socket) => {
      socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
      setTimeout(() => socket.destroy(), 5);
      return [];
    });
    const subgraph = client(served.url);
    expect((await subgraph.post({}, '{}')).body.text()).toBe('ok');
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect((await subgraph.post({}, '{}')).body.text()).toBe('ok');
    expect(served.connections()).toBe(2);
  });

  it('does not repeat a request whose answer had begun', async () => {
    let requests = 0;
    const served = await rawServer((_n, socket) => {
      requests++;
      socket.write('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\npart');
      setTimeout(() => socket.destroy(), 5);
      return [];
    });
    await expect(client(served.url).post({}, '{}')).rejects.toThrow(/closed/);
    expect(requests).toBe(1);
  });

  it('closes idle connections after the subgraph’s Keep-Alive hint', async () => {
    const served = await httpServer((_req, res) => {
      res.writeHead(200, { 'content-length': '2', 'keep-alive': 'timeout=1' });
      res.end('ok');
    });
    const subgraph = client(served.url);
    await subgraph.post({}, '{}');
    // timeout=1 → closed at once by us (the hint minus a second), so the server's timer never races a request.
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(subgraph.connections).toBe(0);
    expect((await subgraph.post({}, '{}')).body.text()).toBe('ok');
    expect(served.connections()).toBe(2);
  });
});

describe('what it refuses', () => {
  it('a header value that would split the request, before anything is sent', async () => {
    const served = await httpServer((_req, res) => res.end('x'));
    const subgraph = client(served.url);
    await expect(subgraph.post({ 'x-purpose': 'sales\r\nx-evil: 1' }, '{}')).rejects.toThrow(
      /invalid header/,
    );
    await expect(subgraph.post({ 'bad name': 'v' }, '{}')).rejects.toThrow(/invalid header/);
    expect(served.received).toHaveLength(0);
  });

  it('answers larger than the limit, declared or streamed', async () => {
    const served = await httpServer((req, res) => {
      if (req.headers['x-case'] === 'declared') {
        res.writeHead(200, { 'content-length': '5000' });
        res.end('x'.repeat(5000));
      } else {
        res.writeHead(200);
        res.end('y'.repeat(5000));
      }
    });
    const subgraph = client(served.url, { maxBodyBytes: 4096 });
    await expect(subgraph.post({ 'x-case': 'declared' }, '{}')).rejects.toThrow(/too large/);
    await expect(subgraph.post({ 'x-case': 'chunked' }, '{}')).rejects.toThrow(/too large/);
  });

  it.each([
    ['a malformed status line', 'HTTP/2 200 OK\r\ncontent-length: 2\r\n\r\nok', /status line/],
    [
      'both Content-Length and chunked',
      'HTTP/1.1 200 OK\r\ncontent-length: 2\r\ntransfer-encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n',
      /both/,
    ],
    [
      'contradicting lengths',
      'HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-length: 3\r\n\r\nok',
      /contradicting/,
    ],
    ['bytes beyond the declared length', 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nokHTTP/1.1', /beyond/],
    ['a bad chunk size', 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n', /chunk size/],
    [
      'another transfer coding',
      'HTTP/1.1 200 OK\r\ntransfer-encoding: gzip, chunked\r\n\r\n',
      /transfer-encoding/,
    ],
    ['a header line without a colon', 'HTTP/1.1 200 OK\r\nnonsense\r\n\r\n', /malformed answer header/],
    ['headers without end', `HTTP/1.1 200 OK\r\nx: ${'a'.repeat(20_000)}`, /headers too large/],
  ])('%s', async (_name, answer, error) => {
    const served = await rawServer(() => [answer]);
    await expect(client(served.url).post({}, '{}')).rejects.toThrow(error);
  });

  it('requests in flight or waiting when the client closes (shutdown), without reconnecting', async () => {
    // The first request is answered (the connection is then a reused one, whose failure would be retried); the
    // others never are.
    const served = await rawServer((n) =>
      n === 0 ? ['HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok'] : [],
    );
    const subgraph = client(served.url, { maxConnections: 1 });
    expect((await subgraph.post({}, '{}')).body.text()).toBe('ok');
    const inFlight = subgraph.post({}, '{}');
    const waiting = subgraph.post({}, '{}');
    await new Promise((resolve) => setTimeout(resolve, 20));
    // Both are refused at close (the waiting one at once): expect them before closing.
    const refused = [
      expect(inFlight).rejects.toThrow(/client closed/),
      expect(waiting).rejects.toThrow(/client closed/),
    ];
    subgraph.close();
    await Promise.all(refused);
    await expect(subgraph.post({}, '{}')).rejects.toThrow(/client closed/);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(served.connections()).toBe(1);
  });

  it('a subgraph that does not answer in time', async () => {
    const served = await rawServer(() => []);
    await expect(client(served.url, { timeoutMs: 150 }).post({}, '{}')).rejects.toThrow(/timeout/);
  });

  it('a subgraph that is down, logged with its host and the reason', async () => {
    const served = await httpServer((_req, res) => res.end());
    for (const close of closers.splice(0)) close();
    const warnings: { fields: Record<string, unknown>; message: string }[] = [];
    const clients = new SubgraphClients({}, {
      warn: (fields: Record<string, unknown>, message: string) => warnings.push({ fields, message }),
    } as never);
    closers.push(() => clients.close());
    await expect(clients.post(served.url, { authorization: 'Bearer secret-token' }, '{}')).rejects.toThrow();
    expect(warnings).toEqual([
      {
        message: 'subgraph request failed',
        fields: {
          subgraph: new URL(served.url).host,
          errorName: 'Error',
          reason: expect.stringMatching(/ECONNREFUSED/),
        },
      },
    ]);
    expect(JSON.stringify(warnings)).not.toContain('secret-token');
  });
});

describe('bodies', () => {
  it('are pooled: a released body cannot be read again', async () => {
    const served = await httpServer((_req, res, body) => {
      res.writeHead(200, { 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
    const subgraph = client(served.url);
    const first = await subgraph.post({}, '{"first":true}');
    expect(first.body.startsWith('{"first"')).toBe(true);
    expect(first.body.includes('true')).toBe(true);
    first.body.release();
    expect(() => first.body.bytes()).toThrow(/after release/);
    // The buffer it held serves the next answer; that answer's bytes are its own.
    const second = await subgraph.post({}, '{"second":1}');
    expect(second.body.text()).toBe('{"second":1}');
  });

  it('end() writes the bytes as an HTTP answer and releases them', async () => {
    const upstream = await httpServer((_req, res, body) => {
      res.writeHead(200, { 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
    const clients = new SubgraphClients();
    closers.push(() => clients.close());
    let held: { bytes(): Buffer } | undefined;
    const front = http.createServer(async (_req, res) => {
      const { body } = await clients.post(upstream.url, {}, JSON.stringify({ big: 'z'.repeat(100_000) }));
      held = body;
      res.writeHead(200, { 'content-length': body.length });
      body.end(res);
    });
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
    closers.push(() => front.close());
    const { port } = front.address() as AddressInfo;
    const answer = await fetch(`http://127.0.0.1:${port}/`);
    expect(await answer.json()).toEqual({ big: 'z'.repeat(100_000) });
    expect(() => held?.bytes()).toThrow(/after release/);
  });
});

/**
 * The limits both direct-path clients keep (GATEWAY_SUBGRAPH_CLIENT): the hand-written one and undici's Pool behind
 * the same interface, against the same servers.
 */
const KINDS: readonly [string, (options: ClientOptions, logger?: never) => DirectClients][] = [
  ['custom', (options, logger) => new SubgraphClients(options, logger)],
  ['undici', (options, logger) => new UndiciSubgraphClients(options, logger)],
];

describe.each(KINDS)('the %s client keeps the direct path’s limits', (_kind, make) => {
  const clientsOf = (options: ClientOptions = {}, logger?: never) => {
    const made = make(options, logger);
    closers.push(() => made.close());
    return made;
  };

  it('returns status and exact bytes, forwards the headers, and keeps connections alive', async () => {
    const served = await httpServer((_req, res, body) => {
      const text = JSON.stringify({ data: { echo: JSON.parse(body).n, pad: 'é'.repeat(100_000) } });
      res.writeHead(201, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    });
    const clients = clientsOf();
    for (let n = 0; n < 10; n++) {
      const { status, body } = await clients.post(
        served.url,
        { ...json, 'x-purpose': 'sales' },
        `{"n":${n}}`,
      );
      expect(status).toBe(201);
      const parsed = JSON.parse(body.text());
      expect(parsed.data.echo).toBe(n);
      expect(parsed.data.pad).toBe('é'.repeat(100_000));
    }
    // Sequential requests reuse kept-alive connections: the hand-written client one; undici's Pool may open a
    // second while the first is still being marked free after its answer's last byte.
    expect(served.connections()).toBeGreaterThanOrEqual(1);
    expect(served.connections()).toBeLessThanOrEqual(2);
    expect(served.received.map((r) => r.body)).toEqual(Array.from({ length: 10 }, (_, n) => `{"n":${n}}`));
    expect(served.received[0]?.headers).toMatchObject({
      'content-type': 'application/json',
      'x-purpose': 'sales',
    });
  });

  it('sends at most maxConnections at once; the rest wait and are all answered', async () => {
    const clients = clientsOf({ maxConnections: 2 });
    await atMostMaxConnections((url) => (body) => clients.post(url, json, body));
  });

  it('refuses a header value that would split the request, before anything is sent', async () => {
    const served = await httpServer((_req, res) => res.end('x'));
    const clients = clientsOf();
    await expect(clients.post(served.url, { 'x-purpose': 'sales\r\nx-evil: 1' }, '{}')).rejects.toThrow(
      /invalid .*header/,
    );
    expect(served.received).toHaveLength(0);
  });

  it('refuses answers larger than maxBodyBytes, declared or streamed, and takes one at the limit', async () => {
    const served = await httpServer((req, res) => {
      const size = Number(req.headers['x-size']);
      if (req.headers['x-case'] === 'declared') res.writeHead(200, { 'content-length': String(size) });
      else res.writeHead(200);
      res.end('x'.repeat(size));
    });
    const clients = clientsOf({ maxBodyBytes: 4096 });
    await expect(clients.post(served.url, { 'x-case': 'declared', 'x-size': '5000' }, '{}')).rejects.toThrow(
      /too large/,
    );
    await expect(clients.post(served.url, { 'x-case': 'chunked', 'x-size': '5000' }, '{}')).rejects.toThrow(
      /too large/,
    );
    const atLimit = await clients.post(served.url, { 'x-case': 'declared', 'x-size': '4096' }, '{}');
    expect(atLimit.body.text()).toBe('x'.repeat(4096));
  });

  it('gives up on a subgraph that does not answer within timeoutMs', async () => {
    const served = await rawServer(() => []);
    const started = Date.now();
    await expect(clientsOf({ timeoutMs: 150 }).post(served.url, {}, '{}')).rejects.toThrow(/timeout/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('refuses requests in flight and after close (shutdown)', async () => {
    const served = await rawServer(() => []);
    const clients = clientsOf();
    const inFlight = clients.post(served.url, {}, '{}');
    await new Promise((resolve) => setTimeout(resolve, 20));
    // The hand-written client sees its fresh connection closed under the request; undici names its own closing.
    const refused = expect(inFlight).rejects.toThrow(/client closed|connection closed/);
    clients.close();
    await refused;
    await expect(clients.post(served.url, {}, '{}')).rejects.toThrow(/client closed/);
  });

  it('logs a subgraph that is down with its host and the reason, never a header value', async () => {
    const served = await httpServer((_req, res) => res.end());
    for (const close of closers.splice(0)) close();
    const warnings: { fields: Record<string, unknown>; message: string }[] = [];
    const clients = clientsOf({}, {
      warn: (fields: Record<string, unknown>, message: string) => warnings.push({ fields, message }),
    } as never);
    await expect(clients.post(served.url, { authorization: 'Bearer secret-token' }, '{}')).rejects.toThrow();
    expect(warnings).toEqual([
      {
        message: 'subgraph request failed',
        fields: {
          subgraph: new URL(served.url).host,
          errorName: expect.any(String),
          reason: expect.stringMatching(/ECONNREFUSED/),
        },
      },
    ]);
    expect(JSON.stringify(warnings)).not.toContain('secret-token');
  });
});
