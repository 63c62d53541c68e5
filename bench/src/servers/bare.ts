// The ceiling: node:http + a pg Pool running the same SELECT as the Custos subgraph and answering JSON shaped like
// its GraphQL response. No GraphQL, no auth, no policy: whatever Custos spends above this is the price of those.
//
// Env: DATABASE_URL (required), PORT (default 4011), HOST (default 127.0.0.1).
// Requests: POST any path with a JSON body `{"variables": {"first": N}}` (the GraphQL body the load generator
// sends to every server; the `query` is ignored), or GET any path with `?first=N`. 1 <= N <= 500.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import pg from 'pg';
import { serverEnv, stopOnSignal } from './lifecycle.js';

const { value: databaseUrl, port, host } = serverEnv('bare', 'DATABASE_URL', 4011);

// `date` columns as the 'YYYY-MM-DD' string PostgreSQL sends, as the GraphQL servers return them; pg would
// otherwise build a local-midnight Date, which is both slower and wrong across time zones.
const DATE_OID = 1082;
pg.types.setTypeParser(DATE_OID, (value) => value);

// pg's default pool size (10), the same as the other servers and the load generator's 10 connections.
const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });

interface ContactRow {
  id: string;
  full_name: string;
  email: string;
  phone: string | null;
  birth_date: string | null;
  address_country: string | null;
  created_at: Date;
}

// The subgraph's SELECT: newest first, keyset order (created_at, id), one extra row to learn hasNextPage.
// A named statement is prepared once per connection, as a careful hand-written server would do.
const CONTACTS_SQL =
  'select id, full_name, email, phone, birth_date, address_country, created_at from contact ' +
  'order by created_at desc, id desc limit $1';

const MAX_FIRST = 500;

/** Cursor as the subgraph computes it: base64url of JSON `[createdAtIso, id]`. */
const cursorOf = (createdAt: string, id: string) =>
  Buffer.from(JSON.stringify([createdAt, id])).toString('base64url');

/** Runs the page query and shapes it like `{ data: { contacts: Connection } }`. */
async function contactsPage(first: number) {
  const { rows } = await pool.query<ContactRow>({
    name: 'contacts',
    text: CONTACTS_SQL,
    values: [first + 1],
  });
  const hasNextPage = rows.length > first;
  const edges = [];
  for (let i = 0; i < Math.min(first, rows.length); i++) {
    const row = rows[i]!;
    const createdAt = row.created_at.toISOString();
    edges.push({
      cursor: cursorOf(createdAt, row.id),
      node: {
        id: row.id,
        fullName: row.full_name,
        email: row.email,
        phone: row.phone,
        birthDate: row.birth_date,
        country: row.address_country,
        createdAt,
      },
    });
  }
  const endCursor = edges.at(-1)?.cursor ?? null;
  return { data: { contacts: { edges, pageInfo: { hasNextPage, endCursor } } } };
}

/** Reads `first` from the query string (GET) or the JSON body's `variables.first` (POST). */
async function readFirst(req: IncomingMessage, url: URL): Promise<number> {
  if (req.method === 'GET') return Number(url.searchParams.get('first') ?? 50);
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body: { variables?: { first?: unknown } } | null = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  return Number(body?.variables?.first ?? 50);
}

function send(res: ServerResponse, status: number, payload: unknown) {
  const json = JSON.stringify(payload);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(json),
  });
  res.end(json);
}

const server = createServer(async (req, res) => {
  try {
    if (req.method !== 'GET' && req.method !== 'POST') {
      send(res, 405, { errors: [{ message: 'method not allowed' }] });
      return;
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    let first: number;
    try {
      first = await readFirst(req, url);
    } catch {
      send(res, 400, { errors: [{ message: 'body must be JSON' }] });
      return;
    }
    if (!Number.isInteger(first) || first < 1 || first > MAX_FIRST) {
      send(res, 400, { errors: [{ message: `first must be an integer from 1 to ${MAX_FIRST}` }] });
      return;
    }
    send(res, 200, await contactsPage(first));
  } catch (error) {
    console.error('bare: request failed', error);
    send(res, 500, { errors: [{ message: 'internal error' }] });
  }
});
// Keep-alive connections stay open across the whole load round.
server.keepAliveTimeout = 60_000;
server.on('error', (error) => {
  console.error('bare: server error', error);
  process.exit(1);
});
server.listen(port, host, () => {
  console.log(`bare: listening on http://${host}:${port}/`);
});

stopOnSignal(server, () => pool.end());
