import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support/harness.js';

/**
 * The direct lane (packages/server direct-lane.ts) answers POSTed JSON queries without Apollo Server's pipeline.
 * It must answer exactly as Apollo would. Apollo still answers every GET, so each request here is sent both ways
 * — POST (the lane, or Apollo when the lane hands it over) and GET (Apollo only) — and the two answers and the
 * audit events they leave are compared; the lane's counts say which path answered the POST. Where the answer is
 * data, it is also checked against the database.
 */
let server: TestServer;
let tokens: { support: string; sales: string; analyst: string };

interface Answer {
  status: number;
  contentType: string | null;
  cacheControl: string | null;
  nosniff: string | null;
  body: Record<string, unknown>;
}

interface Case {
  readonly name: string;
  readonly query: string;
  readonly variables?: Record<string, unknown>;
  readonly token?: string | null;
  readonly purpose?: string;
  readonly accept?: string;
  /** Which path answers the POST. */
  readonly lane: 'answered' | 'handedOver';
}

function headersOf(c: Case): Record<string, string> {
  const headers: Record<string, string> = {
    // Apollo's CSRF prevention wants it on a GET without a content type; harmless on a POST.
    'apollo-require-preflight': '1',
    'x-purpose': c.purpose ?? 'customer_support',
  };
  const token = c.token === undefined ? tokens.support : c.token;
  if (token) headers.authorization = `Bearer ${token}`;
  if (c.accept) headers.accept = c.accept;
  return headers;
}

async function answerOf(res: Response): Promise<Answer> {
  return {
    status: res.status,
    contentType: res.headers.get('content-type'),
    cacheControl: res.headers.get('cache-control'),
    nosniff: res.headers.get('x-content-type-options'),
    body: JSON.parse(await res.text()) as Record<string, unknown>,
  };
}

async function post(c: Case): Promise<Answer> {
  return answerOf(
    await fetch(server.graphqlUrl, {
      method: 'POST',
      headers: { ...headersOf(c), 'content-type': 'application/json' },
      body: JSON.stringify({ query: c.query, ...(c.variables ? { variables: c.variables } : {}) }),
    }),
  );
}

async function get(c: Case): Promise<Answer> {
  const search = new URLSearchParams({ query: c.query });
  if (c.variables) search.set('variables', JSON.stringify(c.variables));
  return answerOf(await fetch(`${server.graphqlUrl}?${search}`, { headers: headersOf(c) }));
}

const LIST =
  'query List($first: Int!) { contacts(first: $first) { edges { cursor node { id fullName email } } } }';

beforeAll(async () => {
  // More contacts than one part of a large answer holds (json-parts.ts: 64 elements), for the page test below.
  server = await startTestServer({ seedContacts: 150 });
  tokens = {
    support: await server.token(['support_agent'], 'lane-support'),
    sales: await server.token(['sales_rep'], 'lane-sales'),
    analyst: await server.token(['analyst'], 'lane-analyst'),
  };
}, 120_000);

afterAll(async () => {
  await server?.close();
});

describe('the direct lane', () => {
  const cases: Case[] = [
    { name: 'a list', query: LIST, variables: { first: 5 }, lane: 'answered' },
    {
      name: 'a list with redactions',
      query: '{ contacts(first: 4) { nodes { id fullName healthNotes } } }',
      token: 'sales',
      purpose: 'sales',
      lane: 'answered',
    },
    {
      name: 'the graphql-response media type',
      query: LIST,
      variables: { first: 2 },
      accept: 'application/graphql-response+json',
      lane: 'answered',
    },
    { name: 'no token', query: LIST, variables: { first: 2 }, token: null, lane: 'handedOver' },
    {
      name: 'an operation the purpose may not run',
      query: '{ contacts(first: 1) { nodes { id } } }',
      token: 'analyst',
      purpose: 'analytics',
      lane: 'handedOver',
    },
    { name: 'a refused variable', query: LIST, variables: { first: 'lane-marker-5' }, lane: 'handedOver' },
    { name: 'a variable out of range', query: LIST, variables: { first: 100_000 }, lane: 'handedOver' },
    {
      name: 'a cost over the limit',
      query:
        'query($n: Int = 1) { companies(first: $n) { edges { node { contacts(first: $n) { nodes { id } } } } } }',
      variables: { n: 500 },
      lane: 'handedOver',
    },
    { name: 'a syntax error', query: '{ contacts(first: 2) { nodes { id }', lane: 'handedOver' },
    { name: 'an unknown field', query: '{ contacts(first: 2) { nodes { lane } } }', lane: 'handedOver' },
    {
      name: 'an Accept header without JSON',
      query: LIST,
      variables: { first: 2 },
      accept: 'image/png',
      lane: 'handedOver',
    },
  ];

  for (const c of cases) {
    it(`answers ${c.name} as Apollo does (${c.lane === 'answered' ? 'in the lane' : 'handed to Apollo'})`, async () => {
      const resolved: Case = {
        ...c,
        ...(c.token === 'sales'
          ? { token: tokens.sales }
          : c.token === 'analyst'
            ? { token: tokens.analyst }
            : {}),
      };
      const lane = server.running.app.directLane;
      expect(lane).toBeDefined();
      const before = { ...lane!.counts };
      const viaPost = await post(resolved);
      const after = { ...lane!.counts };
      expect(after.answered - before.answered, 'answered by the lane').toBe(c.lane === 'answered' ? 1 : 0);
      expect(after.handedOver - before.handedOver, 'handed to Apollo').toBe(c.lane === 'handedOver' ? 1 : 0);
      const viaGet = await get(resolved);
      expect(viaPost).toEqual(viaGet);
      expect(viaPost.cacheControl).toBe('no-store');
      expect(viaPost.nosniff).toBe('nosniff');
      // Nothing submitted comes back in an answer, whichever path gave it.
      expect(JSON.stringify(viaPost.body)).not.toContain('lane-marker');
    });
  }

  it('writes a large page in parts: the same bytes as one JSON text, its exact Content-Length, not chunked', async () => {
    const lane = server.running.app.directLane!;
    // Characters of two, three and four bytes in UTF-8 (and JSON's own escapes) in a name the purpose sees: the
    // Content-Length counts bytes, the body is encoded from pieces of text (json-parts.ts).
    const name = 'Zoë "Ørsted" \\ 日本 😀';
    const [visible] = await server.sql<{ id: string; full_name: string }>(
      `select id, full_name from contact where not restricted and not limit_sensitive and full_name is not null
        order by created_at desc, id desc limit 1`,
    );
    expect(visible).toBeDefined();
    await server.sql('update contact set full_name = $1 where id = $2', [name, visible!.id]);
    try {
      const before = lane.counts.answered;
      const res = await fetch(server.graphqlUrl, {
        method: 'POST',
        headers: {
          ...headersOf({ name: 'page', query: LIST, lane: 'answered' }),
          'content-type': 'application/json',
        },
        body: JSON.stringify({ query: LIST, variables: { first: 150 } }),
      });
      const text = await res.text();
      expect(res.status).toBe(200);
      expect(lane.counts.answered - before, 'answered by the lane').toBe(1);
      expect(text).toContain(JSON.stringify(name));
      expect(Buffer.byteLength(text, 'utf8')).toBeGreaterThan(text.length);
      expect(res.headers.get('transfer-encoding')).toBeNull();
      expect(Number(res.headers.get('content-length'))).toBe(Buffer.byteLength(text, 'utf8'));
      // One JSON text, as JSON.stringify writes it: parsed and written again, it is the same string.
      const body = JSON.parse(text) as {
        data: { contacts: { edges: { cursor: string; node: { id: string; fullName: string | null } }[] } };
      };
      expect(body.data.contacts.edges.find((e) => e.node.id === visible!.id)?.node.fullName).toBe(name);
      expect(JSON.stringify(body)).toBe(text);
      const rows = await server.sql<{ id: string }>(
        'select id from contact order by created_at desc, id desc limit 150',
      );
      expect(rows).toHaveLength(150);
      expect(body.data.contacts.edges.map((e) => e.node.id)).toEqual(rows.map((r) => r.id));
      expect(new Set(body.data.contacts.edges.map((e) => e.cursor)).size).toBe(150);
      // Apollo (GET) answers the same data.
      const viaGet = await get({ name: 'page', query: LIST, variables: { first: 150 }, lane: 'answered' });
      expect(viaGet.body.data).toEqual(body.data);
    } finally {
      await server.sql('update contact set full_name = $1 where id = $2', [visible!.full_name, visible!.id]);
    }
  });

  it("serves the database's rows, newest first, and audits them like Apollo", async () => {
    const rows = await server.sql<{ id: string; full_name: string; email: string }>(
      'select id, full_name, email from contact order by created_at desc, id desc limit 3',
    );
    expect(rows).toHaveLength(3);
    const viaPost = await post({ name: 'rows', query: LIST, variables: { first: 3 }, lane: 'answered' });
    const viaGet = await get({ name: 'rows', query: LIST, variables: { first: 3 }, lane: 'answered' });
    const nodes = (viaPost.body as { data: { contacts: { edges: { node: Record<string, unknown> }[] } } })
      .data.contacts.edges;
    expect(nodes.map((e) => e.node)).toEqual(
      rows.map((r) => ({ id: r.id, fullName: r.full_name, email: r.email })),
    );
    expect(viaPost.body).toEqual(viaGet.body);
    await server.flushAudit();
    const officer = await server.token(['privacy_officer'], 'lane-officer');
    const trail = await server.gql<{
      auditEvents: {
        nodes: {
          requestId: string;
          outcome: string;
          rootFields: string[];
          accesses: { channel: string; revealedFields: string[]; contactIds: string[] }[];
        }[];
      };
    }>(
      `query($actor: String) { auditEvents(actor: $actor, first: 2) {
         nodes { requestId outcome rootFields accesses { channel revealedFields contactIds } } } }`,
      { token: officer, purpose: 'compliance', variables: { actor: 'lane-support' } },
    );
    expect(trail.body.errors).toBeUndefined();
    const events = trail.body.data!.auditEvents.nodes;
    expect(events).toHaveLength(2);
    const [fromGet, fromPost] = events;
    const expected = rows.map((r) => r.id).sort();
    for (const event of [fromPost!, fromGet!]) {
      expect(event.outcome).toBe('OK');
      expect(event.rootFields).toEqual(['contacts']);
      expect(event.accesses).toHaveLength(1);
      expect(event.accesses[0]!.channel).toBe('QUERY');
      expect([...event.accesses[0]!.revealedFields].sort()).toEqual(['Contact.email', 'Contact.fullName']);
      expect([...event.accesses[0]!.contactIds].sort()).toEqual(expected);
    }
    expect(fromPost!.requestId).not.toBe(fromGet!.requestId);
  });
});
