// A TCP proxy in front of PostgreSQL that counts the statements its clients run, for the sections that count SQL
// statements per request (sql-count.ts). Not one of the measured servers, and never in the path of a measured
// load: the harness starts a separate, short-lived subgraph instance whose DATABASE_URL points here,
// sends it a few requests one at a time, and reads the count.
//
// It reads the frontend (client → server) side of the PostgreSQL wire protocol, version 3, and records one
// statement per Execute message (extended protocol: what node-postgres sends for a query with parameters) and per
// Query message (simple protocol: a query without parameters; a Query message holding several statements
// separated by `;` counts once, its text is kept). Bytes are forwarded unchanged.
//
// A client asking for TLS (SSLRequest) or GSS encryption is answered "N" by the proxy itself: the hop is
// loopback, and an encrypted stream could not be read. A client that insists on encryption then fails to connect.
import net from 'node:net';

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;

/** Reads a NUL-terminated string at `offset` of `buffer`: [text, offset after the NUL]. */
function cstring(buffer: Buffer, offset: number): [string, number] {
  const end = buffer.indexOf(0, offset);
  if (end < 0) return [buffer.toString('utf8', offset), buffer.length];
  return [buffer.toString('utf8', offset, end), end + 1];
}

/**
 * Parses one client connection's messages as they arrive, calling `onStatement(sql)` for each statement run.
 * `reply(bytes)` answers the client directly (for the encryption requests).
 */
function frontendParser(onStatement: (sql: string) => void, reply: (bytes: Buffer) => void) {
  let pending: Buffer = Buffer.alloc(0);
  let startup = true;
  /** Prepared statements (name → SQL; '' is the unnamed one) and portals (name → SQL). */
  const statements = new Map<string, string>();
  const portals = new Map<string, string>();

  /** Returns the bytes to forward to the server from this chunk. */
  return (chunk: Buffer): Buffer => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    const forward: Buffer[] = [];
    for (;;) {
      if (startup) {
        // Untyped: Int32 length (itself included), Int32 code, body.
        if (pending.length < 8) break;
        const length = pending.readInt32BE(0);
        if (pending.length < length) break;
        const code = pending.readInt32BE(4);
        const message = pending.subarray(0, length);
        pending = pending.subarray(length);
        if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
          reply(Buffer.from('N'));
          continue;
        }
        if (code !== CANCEL_REQUEST) startup = false;
        forward.push(message);
        continue;
      }
      // Typed: Byte1 type, Int32 length (itself included, the type byte not), body.
      if (pending.length < 5) break;
      const length = pending.readInt32BE(1);
      if (pending.length < 1 + length) break;
      const type = String.fromCharCode(pending[0] ?? 0);
      const body = pending.subarray(5, 1 + length);
      forward.push(pending.subarray(0, 1 + length));
      pending = pending.subarray(1 + length);
      if (type === 'Q') {
        onStatement(cstring(body, 0)[0]);
      } else if (type === 'P') {
        const [name, next] = cstring(body, 0);
        statements.set(name, cstring(body, next)[0]);
      } else if (type === 'B') {
        const [portal, next] = cstring(body, 0);
        portals.set(portal, statements.get(cstring(body, next)[0]) ?? '(unknown prepared statement)');
      } else if (type === 'E') {
        onStatement(portals.get(cstring(body, 0)[0]) ?? '(unknown portal)');
      } else if (type === 'C') {
        // Close: 'S' statement or 'P' portal, then its name.
        const [name] = cstring(body, 1);
        (body[0] === 0x53 ? statements : portals).delete(name);
      }
    }
    return forward.length === 1 && forward[0] ? forward[0] : Buffer.concat(forward);
  };
}

export interface SqlCountProxy {
  readonly port: number;
  /** Every statement run through it, in the order read. */
  readonly statements: readonly string[];
  close(): Promise<void>;
}

/**
 * Starts the proxy on a free loopback port, forwarding to `target` ({ host, port }). `statements` grows by one
 * SQL text per statement any client runs, in the order the proxy read them.
 */
export async function startSqlCountProxy(target: { host: string; port: number }): Promise<SqlCountProxy> {
  const statements: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    sockets.add(client);
    sockets.add(upstream);
    const parse = frontendParser(
      (sql) => statements.push(sql),
      (bytes) => client.write(bytes),
    );
    client.on('data', (chunk: Buffer) => {
      const bytes = parse(chunk);
      if (bytes.length > 0 && !upstream.write(bytes)) {
        client.pause();
        upstream.once('drain', () => client.resume());
      }
    });
    upstream.pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', close);
    upstream.on('close', close);
    client.on('error', close);
    upstream.on('error', close);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  if (address === null || typeof address !== 'object') throw new Error('sql-count proxy: no port');
  return {
    port: address.port,
    statements,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
