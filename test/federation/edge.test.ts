import { DEFAULT_LIMITS } from '@custos/runtime';
import { importJWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode } from '../../apps/subgraph/test/support/harness.js';
import {
  type Federation,
  productionAuditEnv,
  type StartedGateway,
  startFederation,
} from './support/federation.js';

/** The gateway's own edge: identity, header forwarding, limits, CORS, probes, errors and logs. */
let federation: Federation;
const CONTACTS = '{ contacts(first: 2) { edges { node { id fullName } } } }';

beforeAll(async () => {
  federation = await startFederation({ seedContacts: 10 });
});
afterAll(() => federation?.close());

/** How many requests the Custos subgraph received while `fn` ran. */
async function subgraphCalls(fn: () => Promise<unknown>): Promise<number> {
  const requests = federation.recorders.custos!.requests;
  const before = requests.length;
  await fn();
  return requests.length - before;
}

/** A token signed with the subgraph's development key, with the claims given (the test decides iss, exp…). */
async function signed(claims: Record<string, unknown>, expiresAt: number): Promise<string> {
  const { keys } = federation.custos;
  const key = await importJWK(keys.privateJwk, 'ES256');
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'ES256', kid: keys.kid })
    .setIssuedAt(expiresAt - 3600)
    .setExpirationTime(expiresAt)
    .sign(key);
}
const now = () => Math.floor(Date.now() / 1000);

describe('identity at the edge', () => {
  it.each([
    ['no token', async () => null, 'Authorization header is required'],
    ['a garbage token', async () => 'not.a-jwt', 'Authorization header must be "Bearer <JWT>"'],
    ['a well-formed garbage token', async () => 'abc.def.ghi', 'token is malformed or could not be verified'],
    [
      'an expired token',
      () => signed({ sub: 'x', roles: ['support_agent'], iss: 'custos-dev', aud: 'custos' }, now() - 60),
      'token has expired',
    ],
    [
      'a token for another audience',
      () => signed({ sub: 'x', roles: ['support_agent'], iss: 'custos-dev', aud: 'other' }, now() + 600),
      'token audience is not accepted',
    ],
  ])('answers %s with HTTP 401 UNAUTHENTICATED without calling a subgraph', async (_name, token, message) => {
    const value = await token();
    let res = await federation.gateway.gql(CONTACTS, { token: value });
    const calls = await subgraphCalls(async () => {
      res = await federation.gateway.gql(CONTACTS, { token: value });
    });
    expect(calls).toBe(0);
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ errors: [{ message, extensions: { code: 'UNAUTHENTICATED' } }] });
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it.each([
    ['no purpose', null, 'X-Purpose header is required'],
    ['an unknown purpose', 'curiosity', 'X-Purpose is not a known purpose'],
    ['a purpose the role may not declare', 'sales', 'X-Purpose is not a purpose your roles may declare'],
  ])('answers %s with HTTP 403 FORBIDDEN without calling a subgraph', async (_name, purpose, message) => {
    let res = await federation.gateway.gql(CONTACTS, { purpose });
    const calls = await subgraphCalls(async () => {
      res = await federation.gateway.gql(CONTACTS, { purpose });
    });
    expect(calls).toBe(0);
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ errors: [{ message, extensions: { code: 'FORBIDDEN' } }] });
  });

  it('passes the subgraph’s FORBIDDEN through for an operation the purpose may not run', async () => {
    const token = await federation.custos.token(['analyst']);
    const res = await federation.gateway.gql(CONTACTS, { token, purpose: 'analytics' });
    expect(res.status).toBe(200);
    expect(errorCode(res)).toBe('FORBIDDEN');
    expect(res.body.errors?.[0]?.path).toEqual(['contacts']);
    expect(res.body.data).toBeNull();
  });
});

/** Both direct-path clients (GATEWAY_SUBGRAPH_CLIENT): the default hand-written one and undici's Pool. */
describe.each(['custom', 'undici'])('forwarding to the subgraph (%s client)', (client) => {
  let gateway: StartedGateway;
  beforeAll(async () => {
    gateway =
      client === 'custom'
        ? federation.gateway
        : await federation.startGateway({ GATEWAY_SUBGRAPH_CLIENT: client });
  });

  it("forwards Authorization, X-Purpose, Sec-GPC, its own request id and the client's as the client's", async () => {
    const token = await federation.custos.token(['marketer']);
    const requests = federation.recorders.custos!.requests;
    const before = requests.length;
    const res = await gateway.gql(CONTACTS, {
      token,
      purpose: 'sale_share',
      headers: { 'sec-gpc': '1', 'x-request-id': 'req-federation-1' },
    });
    expect(res.status).toBe(200);
    const id = res.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const [received] = requests.slice(before);
    expect(received?.headers).toMatchObject({
      authorization: `Bearer ${token}`,
      'x-purpose': 'sale_share',
      'sec-gpc': '1',
      'x-request-id': id,
      'x-client-request-id': 'req-federation-1',
    });
    expect(gateway.logs.map((line) => JSON.parse(line))).toContainEqual(
      expect.objectContaining({ msg: 'request', requestId: id, clientRequestId: 'req-federation-1' }),
    );
  });

  it('makes up a request id when the client sends none, and gives the subgraph the same one', async () => {
    const requests = federation.recorders.custos!.requests;
    const before = requests.length;
    const res = await gateway.gql(CONTACTS);
    const id = res.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(requests.slice(before).map((r) => r.headers['x-request-id'])).toEqual([id]);
  });

  it('answers a subgraph that gives no GraphQL answer on the direct path with a masked error naming no host', async () => {
    // Tickets alone: the direct path; the tickets subgraph is not running here (its recorder answers 502).
    const requests = federation.recorders.tickets!.requests;
    const before = requests.length;
    const res = await gateway.gql('query Alone { tickets(first: 1) { edges { node { id } } } }', {
      purpose: 'customer_support',
    });
    expect(requests.length - before).toBe(1);
    expect(res.status).toBe(200);
    expect(res.body.errors).toEqual([
      expect.objectContaining({
        message: 'Internal server error',
        extensions: { code: 'INTERNAL_SERVER_ERROR' },
      }),
    ]);
    expect(res.text).not.toMatch(/127\.0\.0\.1|502|Bad Gateway/);
  });
});

describe('limits before execution', () => {
  let limited: StartedGateway;
  beforeAll(async () => {
    limited = await federation.startGateway({
      MAX_QUERY_DEPTH: '4',
      MAX_QUERY_ALIASES: '2',
      MAX_QUERY_TOKENS: '100',
      MAX_QUERY_COST: '40',
      MAX_BODY_BYTES: '2048',
    });
  });

  it.each([
    ['QUERY_TOO_DEEP', 4, '{ contacts { edges { node { company { name } } } } }'],
    ['TOO_MANY_ALIASES', 2, '{ a: policyVersion b: policyVersion c: policyVersion }'],
    ['TOO_MANY_TOKENS', 100, `{ ${'policyVersion '.repeat(101)}}`],
    ['QUERY_TOO_COSTLY', 40, `{ contacts { edges { node { ${'id fullName email phone '.repeat(3)} } } } }`],
  ])(
    'refuses with HTTP 400 %s, naming the maximum, before any subgraph call',
    async (code, maximum, query) => {
      let res = await limited.gql(query);
      const calls = await subgraphCalls(async () => {
        res = await limited.gql(query);
      });
      expect(calls).toBe(0);
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([
        { message: expect.stringContaining(`maximum of ${maximum}`), extensions: { code, maximum } },
      ]);
    },
  );

  it('lets a query inside every limit through', async () => {
    const res = await limited.gql('{ contacts(first: 2) { edges { node { id } } } }');
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
  });

  it('refuses a body over MAX_BODY_BYTES with HTTP 413 BODY_TOO_LARGE', async () => {
    const res = await fetch(`${limited.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `{ policyVersion }${' '.repeat(4096)}` }),
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({
      errors: [{ message: 'Request body is larger than 2048 bytes', extensions: { code: 'BODY_TOO_LARGE' } }],
    });
  });

  it('lets the console read the edge’s own refusals (413, 404): CORS for allowed origins only', async () => {
    const send = (path: string, origin: string) =>
      fetch(`${limited.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin },
        body: JSON.stringify({ query: `{ policyVersion }${' '.repeat(4096)}` }),
      });
    const tooLarge = await send('/graphql', 'http://localhost:5173');
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    const missing = await send('/nowhere', 'http://localhost:5173');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    const foreign = await send('/graphql', 'https://evil.example');
    expect(foreign.status).toBe(413);
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('cost from the request’s variables at the edge', () => {
  // The report's query, costed once with its default 1 and run with n = 500. The gateway prices it with the
  // subgraphs' model (MAX_QUERY_COST, same default): companies 1 + edges 1 + n × (node 1 + contacts 1 +
  // edges 1 + n × (node 1 + id 1 + email 1 + fullName 1)).
  const body =
    'companies(first: $n) { edges { node { contacts(first: $n) { edges { node { id email fullName } } } } } }';
  const nested = (n: number) => 2 + n * (3 + n * 4);
  const maximum = DEFAULT_LIMITS.maxCost;
  const refusedBeforeAnySubgraph = async (query: string, variables?: Record<string, unknown>) => {
    let res: Awaited<ReturnType<typeof federation.gateway.gql>> | undefined;
    const calls = await subgraphCalls(async () => {
      res = await federation.gateway.gql(query, { variables });
    });
    expect(calls).toBe(0);
    expect(res!.status).toBe(400);
    expect(res!.body).toEqual({
      errors: [
        {
          message: `Query cost exceeds the maximum of ${maximum}`,
          extensions: { code: 'QUERY_TOO_COSTLY', maximum },
        },
      ],
    });
  };
  const served = async (query: string, variables?: Record<string, unknown>) => {
    const res = await federation.gateway.gql(query, { variables });
    expect(res.body.errors).toBeUndefined();
    expect(res.status).toBe(200);
    return res;
  };

  it('refuses the report’s query with n = 500, with a default, without one, and required', async () => {
    expect(nested(500)).toBeGreaterThan(maximum);
    await refusedBeforeAnySubgraph(`query($n: Int = 1) { ${body} }`, { n: 500 });
    await refusedBeforeAnySubgraph(`query($n: Int) { ${body} }`, { n: 500 });
    await refusedBeforeAnySubgraph(`query($n: Int!) { ${body} }`, { n: 500 });
    // The same texts with cheap values are served.
    const res = await served(`query($n: Int = 1) { ${body} }`);
    expect((res.body.data as { companies: { edges: unknown[] } }).companies.edges).toHaveLength(1);
    await served(`query($n: Int!) { ${body} }`, { n: 2 });
  });

  it('refuses literals and variables at the same boundary', async () => {
    let boundary = 0;
    while (nested(boundary + 1) <= maximum) boundary += 1;
    expect(boundary).toBeGreaterThan(10);
    const literal = (n: number) => `{ ${body.replaceAll('$n', String(n))} }`;
    const variable = `query($n: Int!) { ${body} }`;
    await served(literal(boundary));
    await served(variable, { n: boundary });
    await refusedBeforeAnySubgraph(literal(boundary + 1));
    await refusedBeforeAnySubgraph(variable, { n: boundary + 1 });
  });

  it('prices mutations too, before any subgraph is called', async () => {
    const mutation = `mutation($n: Int) { createCompany(input: { name: "Edge Costly Ltd" }) { id
      contacts(first: $n) { edges { node { id interactions(first: $n) { edges { node { id } } } } } } } }`;
    await refusedBeforeAnySubgraph(mutation, { n: 500 });
    const [row] = await federation.custos.sql<{ n: number }>(
      "select count(*)::int as n from company where name = 'Edge Costly Ltd'",
    );
    expect(row!.n).toBe(0);
  });

  it('prices the direct path’s known texts with each request’s variables', async () => {
    // A gateway whose maximum is below the subgraph's: only the gateway can refuse here.
    const limited = await federation.startGateway({ MAX_QUERY_COST: '40' });
    // contacts 1 + nodes 1 + n × id 1: n = 38 costs 40, n = 39 costs 41.
    const query = 'query DirectPage($n: Int) { contacts(first: $n) { nodes { id } } }';
    const first = await limited.gql(query, { variables: { n: 2 } });
    expect(first.status).toBe(200);
    const known = await limited.gql(query, { variables: { n: 3 } });
    expect(known.status).toBe(200);
    expect((known.body.data as { contacts: { nodes: unknown[] } }).contacts.nodes).toHaveLength(3);
    // The second request was answered by the HTTP edge without the runtime: the text is known.
    expect(
      limited.logs.filter((l) => l.includes('"op":"DirectPage"') && l.includes('"via":"direct"')),
    ).toHaveLength(1);
    let res: Awaited<ReturnType<typeof limited.gql>> | undefined;
    const calls = await subgraphCalls(async () => {
      res = await limited.gql(query, { variables: { n: 39 } });
    });
    expect(calls).toBe(0);
    expect(res!.status).toBe(400);
    expect(res!.body).toEqual({
      errors: [
        {
          message: 'Query cost exceeds the maximum of 40',
          extensions: { code: 'QUERY_TOO_COSTLY', maximum: 40 },
        },
      ],
    });
    const within = await limited.gql(query, { variables: { n: 8 } });
    expect(within.status).toBe(200);
    expect((within.body.data as { contacts: { nodes: unknown[] } }).contacts.nodes).toHaveLength(8);
    const atTheMaximum = await limited.gql(query, { variables: { n: 38 } });
    expect(atTheMaximum.status).toBe(200);
    expect(atTheMaximum.body.errors).toBeUndefined();
  });
});

describe('CORS for the console', () => {
  const preflight = (origin: string) =>
    fetch(`${federation.gateway.url}/graphql`, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type,x-purpose,sec-gpc',
      },
    });

  it('allows the console origin with the Custos headers and exposes the request id', async () => {
    const res = await preflight('http://localhost:5173');
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    const allowed = res.headers
      .get('access-control-allow-headers')
      ?.split(',')
      .map((h) => h.trim());
    expect(allowed).toEqual(
      expect.arrayContaining(['authorization', 'content-type', 'x-purpose', 'sec-gpc']),
    );
    const answer = await federation.gateway.gql(CONTACTS, { headers: { origin: 'http://127.0.0.1:5173' } });
    expect(answer.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:5173');
    expect(answer.headers.get('access-control-expose-headers')).toContain('x-request-id');
  });

  it('does not allow another origin', async () => {
    const res = await preflight('https://evil.example');
    expect(res.headers.get('access-control-allow-origin')).not.toBe('https://evil.example');
    const answer = await federation.gateway.gql(CONTACTS, { headers: { origin: 'https://evil.example' } });
    expect(answer.headers.get('access-control-allow-origin')).not.toBe('https://evil.example');
  });
});

describe('probes, caching, errors and logs', () => {
  it('answers /healthz and /readyz', async () => {
    for (const path of ['/healthz', '/readyz']) {
      const res = await fetch(`${federation.gateway.url}${path}`);
      expect(res.status).toBe(200);
    }
  });

  it('marks GraphQL answers no-store', async () => {
    const res = await federation.gateway.gql(CONTACTS);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('answers a failing subgraph with a masked error that names no host', async () => {
    // The tickets subgraph is not running in this suite: its URL points where nothing listens.
    const [row] = await federation.custos.sql<{ id: string }>('select id from contact limit 1');
    const res = await federation.gateway.gql(
      'query T($id: ID!) { contact(id: $id) { id ticketConnection { totalCount } } }',
      {
        variables: { id: row!.id },
      },
    );
    expect(res.status).toBe(200);
    expect(res.body.errors).toEqual([
      {
        message: 'Internal server error',
        path: ['contact', 'ticketConnection'],
        extensions: { code: 'INTERNAL_SERVER_ERROR' },
      },
    ]);
    // Neither the subgraph's address nor the request the gateway sent it (its variables) reach the client.
    expect(res.text).not.toMatch(/127\.0\.0\.1|_entities|representations/);
  });

  it('logs requests without tokens, query text, variables or personal values', async () => {
    const token = await federation.custos.token(['support_agent'], 'log-probe');
    const res = await federation.gateway.gql(
      'query LogProbe($n: Int) { contacts(first: $n) { edges { node { email } } } }',
      {
        token,
        variables: { n: 1 },
      },
    );
    const email = (res.body.data as { contacts: { edges: { node: { email: string } }[] } }).contacts.edges[0]!
      .node.email;
    const line = federation.gateway.logs.find((l) => l.includes('"op":"LogProbe"'));
    expect(JSON.parse(line!)).toMatchObject({
      method: 'POST',
      path: '/graphql',
      status: 200,
      op: 'LogProbe',
    });
    const all = federation.gateway.logs.join('\n');
    for (const secret of [token, email, 'contacts(first', '"n":1']) expect(all).not.toContain(secret);
  });
});

describe('in production', () => {
  let production: StartedGateway;
  let token: string;
  beforeAll(async () => {
    production = await federation.startGateway({
      NODE_ENV: 'production',
      AUTH_ISSUER: 'custos-test-idp',
      AUTH_AUDIENCE: 'custos',
      ...productionAuditEnv(federation.custos),
    });
    token = await signed(
      { sub: 'p', roles: ['support_agent'], iss: 'custos-test-idp', aud: 'custos' },
      now() + 600,
    );
  });

  it('accepts tokens of the configured issuer only', async () => {
    expect((await production.gql(CONTACTS, { token })).status).toBe(200);
    expect((await production.gql(CONTACTS)).status).toBe(401);
  });

  it('refuses introspection', async () => {
    const res = await production.gql('{ __schema { queryType { name } } }', { token });
    expect(res.body.data?.__schema).toBeUndefined();
    expect(res.body.errors?.length).toBeGreaterThan(0);
  });

  it('does not suggest field names', async () => {
    const res = await production.gql('{ contacts { edges { node { fulName } } } }', { token });
    expect(res.text).toContain('Cannot query field \\"fulName\\"');
    expect(res.text).not.toContain('Did you mean');
    const dev = await federation.gateway.gql('{ contacts { edges { node { fulName } } } }');
    expect(dev.text).toContain('Did you mean');
  });
});
