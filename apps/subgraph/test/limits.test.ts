import { countTokens, DEFAULT_LIMITS, queryCost, queryDepth } from '@custos/runtime';
import { getIntrospectionQuery, parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSchema as buildSubgraphSchema } from '../src/schema.js';
import { errorCode, type GqlResponse, startTestServer, type TestServer } from './support/harness.js';

// ---------------------------------------------------------------------------------------------------------------
// Over HTTP, the real schema, the default limits
// ---------------------------------------------------------------------------------------------------------------

let server: TestServer;
let ids: string[];
const real = buildSubgraphSchema();
beforeAll(async () => {
  server = await startTestServer({ seedContacts: 5 });
  ids = (await server.sql<{ id: string }>('select id from contact order by id')).map((r) => r.id);
});
afterAll(() => server?.close());

const CONTACT_FIELDS =
  'id fullName email phone birthDate country createdAt updatedAt emailMasked phoneLast4 birthYear restricted';

/** A refusal: HTTP 400, one error with the code, no data, nothing of the query echoed, no SQL run. */
async function expectRefused(query: string, code: string, variables?: Record<string, unknown>) {
  let res: GqlResponse | undefined;
  const statements = await server.countSql(async () => {
    res = await server.gql(query, { variables });
  });
  expect(res!.status).toBe(400);
  expect(errorCode(res!)).toBe(code);
  expect(res!.body.errors).toHaveLength(1);
  expect(res!.body.data).toBeUndefined();
  expect(res!.body.errors![0]!.message).toMatch(/maximum/);
  expect(res!.text).not.toMatch(/contacts|company|_entities|__typename|edges|Syntax/);
  expect(statements).toEqual([]);
}

async function expectServed(query: string, variables?: Record<string, unknown>) {
  const res = await server.gql(query, { variables });
  expect(res.body.errors).toBeUndefined();
  expect(res.status).toBe(200);
  return res;
}

const entities = (aliases: number, selection: string) =>
  `query($r: [_Any!]!) { ${Array.from(
    { length: aliases },
    (_, i) => `e${i}: _entities(representations: $r) { ... on Contact { ${selection} } }`,
  ).join(' ')} }`;

describe('depth over HTTP', () => {
  // contacts 1 edges 2 node 3 company 4 contacts 5 edges 6 node 7 company 8 contacts 9 edges 10 node 11
  // interactions 12 edges 13 node 14, then `id` (15) or `contact { id }` (16)
  const chain = (leaf: string) =>
    `{ contacts(first: 1) { edges { node { company { contacts(first: 1) { edges { node { company {
      contacts(first: 1) { edges { node { interactions(first: 1) { edges { node { ${leaf} } } } } } } } } } } } } } } }`;

  it('serves a query exactly as deep as the maximum and refuses one level more', async () => {
    expect(queryDepth(parse(chain('id')))).toBe(DEFAULT_LIMITS.maxDepth);
    await expectServed(chain('id'));
    await expectRefused(chain('contact { id }'), 'QUERY_TOO_DEEP');
  });

  it('counts through named fragments and inline fragments', async () => {
    const query = (leaf: string) => `query Deep { contacts(first: 1) { ...Page } }
      fragment Page on ContactConnection { edges { node { ...Person } } }
      fragment Person on Contact { company { ...Firm } }
      fragment Firm on Company { contacts(first: 1) { edges { node { ... on Contact { ... {
        interactions(first: 1) { edges { node { contact { company { contacts(first: 1) { edges { ${leaf} }
      } } } } } } } } } } } }`;
    expect(queryDepth(parse(query('cursor')))).toBe(15);
    await expectServed(query('cursor'));
    await expectRefused(query('node { id }'), 'QUERY_TOO_DEEP');
  });

  it('applies to _entities documents', async () => {
    const query = (leaf: string) => `query($r: [_Any!]!) { _entities(representations: $r) { ... on Contact {
      company { contacts(first: 1) { edges { node { company { contacts(first: 1) { edges { node {
        interactions(first: 1) { edges { node { contact { company { ${leaf} } } } } } } } } } } } } } } } }`;
    const r = [{ __typename: 'Contact', id: ids[0] }];
    expect(queryDepth(parse(query('name')))).toBe(15);
    await expectServed(query('name'), { r });
    await expectRefused(query('contacts(first: 1) { totalCount }'), 'QUERY_TOO_DEEP', { r });
  });

  it('counts introspection fields like any other', async () => {
    expect((await expectServed(getIntrospectionQuery())).body.data).toHaveProperty('__schema');
    // __schema 1 types 2 fields 3 type 4, eleven ofType 5-15, name 16
    const deep = `{ __schema { types { fields { type { ${'ofType { '.repeat(11)}name ${'} '.repeat(11)}} } } } }`;
    expect(queryDepth(parse(deep))).toBe(16);
    await expectRefused(deep, 'QUERY_TOO_DEEP');
  });
});

describe('aliases over HTTP', () => {
  const aliased = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: __typename`).join(' ')} }`;

  it('serves as many aliases as the maximum and refuses one more', async () => {
    await expectServed(aliased(DEFAULT_LIMITS.maxAliases));
    await expectRefused(aliased(DEFAULT_LIMITS.maxAliases + 1), 'TOO_MANY_ALIASES');
  });

  it('counts aliased _entities calls', async () => {
    const r = ids.map((id) => ({ __typename: 'Contact', id }));
    const res = await expectServed(entities(DEFAULT_LIMITS.maxAliases, 'id'), { r });
    expect(Object.keys(res.body.data!)).toHaveLength(DEFAULT_LIMITS.maxAliases);
    await expectRefused(entities(DEFAULT_LIMITS.maxAliases + 1, 'id'), 'TOO_MANY_ALIASES', { r });
  });
});

describe('tokens over HTTP', () => {
  // `{`, n × `__typename`, `}`
  const padded = (tokens: number) => `{ ${'__typename '.repeat(tokens - 2)}}`;

  it('serves a document of exactly the maximum and refuses one token more, while parsing', async () => {
    expect(countTokens(padded(DEFAULT_LIMITS.maxTokens))).toBe(DEFAULT_LIMITS.maxTokens);
    await expectServed(padded(DEFAULT_LIMITS.maxTokens));
    await expectRefused(padded(DEFAULT_LIMITS.maxTokens + 1), 'TOO_MANY_TOKENS');
    const res = await server.gql(padded(DEFAULT_LIMITS.maxTokens * 4));
    expect(res.body.errors).toEqual([
      {
        message: `Query has more tokens than the maximum of ${DEFAULT_LIMITS.maxTokens}`,
        extensions: { code: 'TOO_MANY_TOKENS', maximum: DEFAULT_LIMITS.maxTokens },
      },
    ]);
  });
});

describe('cost over HTTP', () => {
  const pages = (n: number) =>
    `{ ${Array.from(
      { length: n },
      (_, i) => `p${i}: contacts(first: 500) { edges { node { ${CONTACT_FIELDS} } } }`,
    ).join(' ')} }`;
  /** The most copies of a document part that fit under the maximum cost. */
  const mostUnder = (document: (n: number) => string) => {
    let n = 1;
    while (queryCost(real, parse(document(n + 1))) <= DEFAULT_LIMITS.maxCost) n += 1;
    return n;
  };

  it('serves the bench query for a full page of 500 with room to spare', async () => {
    const page =
      'query Bench($first: Int!) { contacts(first: $first) { edges { cursor node { id fullName email phone ' +
      'birthDate country createdAt } } pageInfo { hasNextPage endCursor } } }';
    expect(queryCost(real, parse(page))).toBeLessThan(DEFAULT_LIMITS.maxCost / 10);
    await expectServed(page, { first: 500 });
  });

  it('serves a document just under the maximum and refuses the next one over it', async () => {
    const n = mostUnder(pages);
    expect(n).toBeGreaterThanOrEqual(5);
    expect(queryCost(real, parse(pages(n)))).toBeGreaterThan(DEFAULT_LIMITS.maxCost * 0.8);
    await expectServed(pages(n));
    await expectRefused(pages(n + 1), 'QUERY_TOO_COSTLY');
  });

  it('refuses nested pages of 500', async () => {
    await expectRefused(
      '{ contacts(first: 500) { edges { node { interactions(first: 500) { edges { node { id } } } } } } }',
      'QUERY_TOO_COSTLY',
    );
  });

  it('counts the representations each _entities call is given in a variable', async () => {
    // _entities 1 + k × (id 1 + interactions 1 + edges 1 + 500 × (node 1 + id 1)) = 1 + 1003k: 49 fit, 50 not.
    const query = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Contact { id
      interactions(first: 500) { edges { node { id } } } } } }`;
    const r = (k: number) =>
      Array.from({ length: k }, (_, i) => ({ __typename: 'Contact', id: ids[i % ids.length] }));
    expect(1 + 1003 * 49).toBeLessThanOrEqual(DEFAULT_LIMITS.maxCost);
    expect(1 + 1003 * 50).toBeGreaterThan(DEFAULT_LIMITS.maxCost);
    const res = await expectServed(query, { r: r(49) });
    expect((res.body.data as { _entities: { id: string }[] })._entities.map((e) => e.id)).toEqual(
      r(49).map((e) => e.id),
    );
    await expectRefused(query, 'QUERY_TOO_COSTLY', { r: r(50) });
    // Aliased calls add up: 24 + 25 representations fit, 25 + 25 do not.
    const twice = `query($a: [_Any!]!, $b: [_Any!]!) {
      a: _entities(representations: $a) { ... on Contact { id interactions(first: 500) { edges { node { id } } } } }
      b: _entities(representations: $b) { ... on Contact { id interactions(first: 500) { edges { node { id } } } } } }`;
    await expectServed(twice, { a: r(24), b: r(25) });
    await expectRefused(twice, 'QUERY_TOO_COSTLY', { a: r(25), b: r(25) });
  });
});

describe('cost from the request’s variables over HTTP', () => {
  // The report's query: costed with its default 1, it ran with n = 500 (a page of 500 companies, each with a
  // page of 500 contacts). companies 1 + edges 1 + n × (node 1 + contacts 1 + edges 1 + n × (node 1 + 3)).
  const fields = 'id email fullName';
  const body = `companies(first: $n) { edges { node { contacts(first: $n) { edges { node { ${fields} } } } } } }`;
  const nested = (n: number) => 2 + n * (3 + n * 4);
  /** The largest n whose cost keeps the maximum, from the formula. */
  const boundary = (() => {
    let n = 0;
    while (nested(n + 1) <= DEFAULT_LIMITS.maxCost) n += 1;
    return n;
  })();

  it('refuses the report’s query with n = 500, with and without a default, and serves it with n = 1', async () => {
    expect(nested(500)).toBeGreaterThan(DEFAULT_LIMITS.maxCost);
    await expectRefused(`query($n: Int = 1) { ${body} }`, 'QUERY_TOO_COSTLY', { n: 500 });
    await expectRefused(`query($n: Int) { ${body} }`, 'QUERY_TOO_COSTLY', { n: 500 });
    await expectRefused(`query($n: Int!) { ${body} }`, 'QUERY_TOO_COSTLY', { n: 500 });
    await expectRefused(`query Named($n: Int = 1) { ${body} }`, 'QUERY_TOO_COSTLY', { n: 500 });
    // The same texts, cheap: served (the validated document is reused, the variables priced again).
    const [{ n: stored }] = (await server.sql<{ n: number }>('select count(*)::int as n from company')) as [
      { n: number },
    ];
    expect(stored).toBeGreaterThan(0);
    const served = await expectServed(`query($n: Int = 1) { ${body} }`);
    const edges = (
      served.body.data as { companies: { edges: { node: { contacts: { edges: unknown[] } } }[] } }
    ).companies.edges;
    expect(edges).toHaveLength(1);
    expect(edges[0]!.node.contacts.edges.length).toBeLessThanOrEqual(1);
    await expectServed(`query($n: Int) { ${body} }`, { n: 2 });
    await expectServed(`query($n: Int!) { ${body} }`, { n: 2 });
  });

  it('refuses literals and variables at the same boundary', async () => {
    expect(boundary).toBeGreaterThan(10);
    expect(nested(boundary)).toBeLessThanOrEqual(DEFAULT_LIMITS.maxCost);
    expect(nested(boundary + 1)).toBeGreaterThan(DEFAULT_LIMITS.maxCost);
    const literal = (n: number) => `{ ${body.replaceAll('$n', String(n))} }`;
    const variable = `query($n: Int!) { ${body} }`;
    expect(queryCost(real, parse(literal(boundary)))).toBe(nested(boundary));
    expect(queryCost(real, parse(variable), { variables: { n: boundary } })).toBe(nested(boundary));
    await expectServed(literal(boundary));
    await expectServed(variable, { n: boundary });
    await expectRefused(literal(boundary + 1), 'QUERY_TOO_COSTLY');
    await expectRefused(variable, 'QUERY_TOO_COSTLY', { n: boundary + 1 });
  });

  it('prices a mutation’s payload from its variables and writes nothing when it refuses', async () => {
    const mutation = `mutation($name: String!, $n: Int) { createCompany(input: { name: $name }) { id
      contacts(first: $n) { edges { node { id interactions(first: $n) { edges { node { id } } } } } } } }`;
    const companies = async (name: string) =>
      (await server.sql<{ n: string }>('select count(*) as n from company where name = $1', [name]))[0]!.n;
    await expectRefused(mutation, 'QUERY_TOO_COSTLY', { name: 'Costly Ltd', n: 500 });
    expect(await companies('Costly Ltd')).toBe('0');
    const res = await expectServed(mutation, { name: 'Cheap Ltd', n: 3 });
    expect(res.body.data).toEqual({
      createCompany: { id: expect.any(String), contacts: { edges: [] } },
    });
    expect(await companies('Cheap Ltd')).toBe('1');
  });
});
