import { HeaderMap } from '@apollo/server';
import { buildSchema, getIntrospectionQuery, parse, specifiedRules, validate } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import type { Context } from '../src/context.js';
import { createGraphQLServer } from '../src/http/graphql-server.js';
import {
  aliasCount,
  countTokens,
  DEFAULT_LIMITS,
  limitRules,
  type QueryLimits,
  queryCost,
  queryDepth,
} from '../src/http/limits.js';
import { createLogger } from '../src/logger.js';
import { buildSchema as buildSubgraphSchema } from '../src/schema/schema.js';
import { errorCode, type GqlResponse, startTestServer, type TestServer } from './support/harness.js';

/** A small schema with the shapes of the real one: connections with `first`, `_entities`, a plain list. */
const schema = buildSchema(`
  scalar _Any
  union _Entity = Contact
  type Query {
    contacts(first: Int = 50, after: String): ContactConnection!
    contact(id: ID!): Contact
    _entities(representations: [_Any!]!): [_Entity]!
    tags: [Tag!]!
  }
  type Mutation { touch(id: ID!): Contact }
  type Tag { name: String! }
  type PageInfo { hasNextPage: Boolean! endCursor: String }
  type ContactConnection { edges: [ContactEdge!]! nodes: [Contact!]! pageInfo: PageInfo! totalCount: Int! }
  type ContactEdge { cursor: String! node: Contact! }
  type InteractionConnection { edges: [InteractionEdge!]! totalCount: Int! }
  type InteractionEdge { node: Interaction! }
  type Interaction { id: ID! subject: String contact: Contact }
  type Company { id: ID! name: String contacts(first: Int = 50): ContactConnection! }
  type Contact {
    id: ID! fullName: String email: String company: Company
    interactions(first: Int = 50): InteractionConnection!
  }
`);

const cost = (query: string) => queryCost(schema, parse(query));
const depth = (query: string) => queryDepth(parse(query));
/** The codes of the errors graphql's own rules plus ours report. */
const refusals = (query: string, limits: Partial<QueryLimits> = {}) =>
  validate(schema, parse(query), [...specifiedRules, ...limitRules({ ...DEFAULT_LIMITS, ...limits })]).map(
    (e) => ({ code: e.extensions.code, message: e.message }),
  );

describe('measures', () => {
  it('depth: one level per field, through named fragments, inline fragments and introspection', () => {
    expect(depth('{ contacts { edges { node { id } } } }')).toBe(4);
    expect(depth('{ __typename }')).toBe(1);
    expect(
      depth(`{ contacts { ...Page } }
        fragment Page on ContactConnection { edges { ...Edge } }
        fragment Edge on ContactEdge { node { ... on Contact { ... { company { name } } } } }`),
    ).toBe(5);
    // The largest operation of the document counts.
    expect(depth('query A { __typename } query B { contact(id: 1) { company { id } } }')).toBe(3);
    expect(depth('{ __schema { types { fields { type { name } } } } }')).toBe(5);
    expect(depth(getIntrospectionQuery())).toBe(15);
  });

  it('depth: a fragment cycle ends (graphql refuses it) instead of recursing forever', () => {
    const cyclic = `{ contact(id: 1) { ...A } }
      fragment A on Contact { company { contacts { edges { node { ...A } } } } }`;
    expect(depth(cyclic)).toBe(5);
    const errors = refusals(cyclic);
    expect(errors.map((e) => e.message)).toContainEqual(expect.stringMatching(/within itself/));
    expect(errors.map((e) => e.code)).not.toContain('QUERY_TOO_DEEP');
  });

  it('aliases: every aliased field of the document, fragments included', () => {
    expect(aliasCount(parse('{ contacts { totalCount } }'))).toBe(0);
    expect(
      aliasCount(
        parse(`{ a: contacts { n: totalCount } b: contacts { totalCount } ...F }
          fragment F on Query { c: tags { name } }`),
      ),
    ).toBe(4);
  });

  it('tokens: as graphql-js counts them for maxTokens, comments excluded', () => {
    const doc = '{ a(x: 1) # a comment is not a token\n }';
    expect(countTokens(doc)).toBe(8);
    expect(() => parse(doc, { maxTokens: 8 })).not.toThrow();
    expect(() => parse(doc, { maxTokens: 7 })).toThrow(/Document contains more th/);
    expect(countTokens(getIntrospectionQuery())).toBe(163);
    expect(countTokens('{ a b c d e }', 2)).toBe(3);
  });

  it('cost: one per field per object; a connection multiplies its lists by first', () => {
    // contacts 1 + edges 1 + 10 × (node 1 + id 1 + email 1)
    expect(cost('{ contacts(first: 10) { edges { node { id email } } } }')).toBe(32);
    // totalCount and pageInfo are one per connection, not per row
    expect(cost('{ contacts(first: 10) { totalCount pageInfo { hasNextPage } } }')).toBe(4);
    // omitted: the argument's default (50); a variable: its default, else the largest page (500)
    expect(cost('{ contacts { edges { node { id email } } } }')).toBe(152);
    expect(cost('query($n: Int = 7) { contacts(first: $n) { edges { node { id email } } } }')).toBe(23);
    expect(cost('query($n: Int!) { contacts(first: $n) { edges { node { id email } } } }')).toBe(1502);
    expect(cost('query($n: Int) { contacts(first: $n) { nodes { id email } } }')).toBe(1002);
    // never more than 500 a page
    expect(cost('{ contacts(first: 100000) { edges { node { id email } } } }')).toBe(1502);
    expect(cost('{ contacts(first: 0) { edges { node { id email } } } }')).toBe(2);
    // nested pages multiply
    expect(
      cost('{ contacts(first: 10) { edges { node { interactions(first: 5) { edges { node { id } } } } } } }'),
    ).toBe(132);
    // fragments see the page of the connection they are spread in
    expect(
      cost(`{ contacts(first: 10) { ...Page } }
        fragment Page on ContactConnection { edges { node { ...Person } } }
        fragment Person on Contact { id email }`),
    ).toBe(32);
  });

  it('cost: _entities counts its literal representations, else 500; other lists 50; introspection 1', () => {
    expect(
      cost('query($r: [_Any!]!) { _entities(representations: $r) { ... on Contact { id email } } }'),
    ).toBe(1001);
    expect(
      cost(
        '{ _entities(representations: [{ id: "1" }, { id: "2" }, { id: "3" }]) { ... on Contact { id } } }',
      ),
    ).toBe(4);
    expect(
      cost(`query($r: [_Any!]!) {
        a: _entities(representations: $r) { ... on Contact { id } }
        b: _entities(representations: $r) { ... on Contact { id } } }`),
    ).toBe(1002);
    expect(cost('{ tags { name } }')).toBe(51);
    expect(cost('{ __schema { types { fields { name } } } }')).toBe(4);
    expect(cost(getIntrospectionQuery())).toBeLessThan(1000);
    // every operation is measured; the costliest counts
    expect(
      cost(
        'query A { tags { name } } query B { contacts(first: 500) { nodes { id } } } mutation C { touch(id: 1) { id } }',
      ),
    ).toBe(502);
  });
});

describe('limitRules', () => {
  it('refuses past each limit with its code and a message naming the maximum, never the query', () => {
    const deep = '{ contacts(first: 1) { edges { node { company { name } } } } }';
    expect(refusals(deep, { maxDepth: 5 })).toEqual([]);
    expect(refusals(deep, { maxDepth: 4 })).toEqual([
      { code: 'QUERY_TOO_DEEP', message: 'Query depth 5 exceeds the maximum of 4' },
    ]);

    const aliased = '{ a: tags { name } b: tags { name } c: __typename }';
    expect(refusals(aliased, { maxAliases: 3 })).toEqual([]);
    expect(refusals(aliased, { maxAliases: 2 })).toEqual([
      { code: 'TOO_MANY_ALIASES', message: 'Query has 3 aliases, more than the maximum of 2' },
    ]);

    const tokens = '{ tags { name } __typename }'; // 7 tokens
    expect(refusals(tokens, { maxTokens: 7 })).toEqual([]);
    expect(refusals(tokens, { maxTokens: 6 })).toEqual([
      { code: 'TOO_MANY_TOKENS', message: 'Query has more tokens than the maximum of 6' },
    ]);

    const costly = '{ contacts(first: 10) { edges { node { id email } } } }'; // 32
    expect(refusals(costly, { maxCost: 32 })).toEqual([]);
    expect(refusals(costly, { maxCost: 31 })).toEqual([
      { code: 'QUERY_TOO_COSTLY', message: 'Query cost 32 exceeds the maximum of 31' },
    ]);
  });

  it('reports every limit a document breaks', () => {
    const doc = `query($r: [_Any!]!) { a: _entities(representations: $r) { ... on Contact { company { name } } }
      b: _entities(representations: $r) { ... on Contact { id } } }`;
    expect(
      refusals(doc, { maxDepth: 2, maxAliases: 1, maxTokens: 10, maxCost: 100 }).map((r) => r.code),
    ).toEqual(['TOO_MANY_TOKENS', 'QUERY_TOO_DEEP', 'TOO_MANY_ALIASES', 'QUERY_TOO_COSTLY']);
  });

  it('lets the standard introspection query through with the defaults', () => {
    expect(refusals(getIntrospectionQuery())).toEqual([]);
  });
});

describe('Apollo Server with custom limits (no database)', () => {
  const small: QueryLimits = { maxDepth: 3, maxAliases: 2, maxTokens: 40, maxCost: 100 };
  const context = async () => ({ request: { id: 'test' } }) as unknown as Context;
  const logger = createLogger('silent');
  const post = async (apollo: Awaited<ReturnType<typeof createGraphQLServer>>, query: string) => {
    const result = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: {
        method: 'POST',
        headers: new HeaderMap([['content-type', 'application/json']]),
        search: '',
        body: { query },
      },
      context,
    });
    if (result.body.kind !== 'complete') throw new Error('expected a complete body');
    return {
      status: result.status ?? 200,
      body: JSON.parse(result.body.string) as GqlResponse['body'],
    };
  };

  it('answers each refusal with HTTP 400, the limit code and only our message', async () => {
    const apollo = await createGraphQLServer(schema, logger, false, small);
    try {
      expect(await post(apollo, '{ __typename }')).toEqual({
        status: 200,
        body: { data: { __typename: 'Query' } },
      });
      const cases: [string, string, string][] = [
        ['{ contact(id: 1) { company { contacts { totalCount } } } }', 'QUERY_TOO_DEEP', 'maximum of 3'],
        ['{ a: __typename b: __typename c: __typename }', 'TOO_MANY_ALIASES', 'maximum of 2'],
        [`{ ${'__typename '.repeat(39)}}`, 'TOO_MANY_TOKENS', 'maximum of 40'],
        ['{ contacts(first: 50) { nodes { id email } } }', 'QUERY_TOO_COSTLY', 'maximum of 100'],
      ];
      for (const [query, code, maximum] of cases) {
        const res = await post(apollo, query);
        expect(res.status, code).toBe(400);
        expect(res.body.data).toBeUndefined();
        expect(res.body.errors).toHaveLength(1);
        expect(res.body.errors![0]!.extensions).toEqual({ code, maximum: Number(maximum.split(' ').pop()) });
        expect(res.body.errors![0]!.message).toContain(maximum);
        expect(res.body.errors![0]!.message).not.toMatch(/typename|contact|nodes|Syntax/);
      }
      // Other validation errors keep Apollo's code.
      const unknown = await post(apollo, '{ nope }');
      expect(unknown.status).toBe(400);
      expect(unknown.body.errors![0]!.extensions!.code).toBe('GRAPHQL_VALIDATION_FAILED');
    } finally {
      await apollo.stop();
    }
  });

  it('answers a document too deeply nested for the parser as QUERY_TOO_DEEP, not a parse failure', async () => {
    const apollo = await createGraphQLServer(schema, logger, false, { ...small, maxTokens: 1_000_000 });
    try {
      const nested = `{ contacts(after: ${'['.repeat(50_000)}${']'.repeat(50_000)}) { totalCount } }`;
      const res = await post(apollo, nested);
      expect(res.status).toBe(400);
      expect(res.body.errors![0]).toEqual({
        message: 'Query is nested too deeply to parse; the maximum depth is 3',
        extensions: { code: 'QUERY_TOO_DEEP', maximum: 3 },
      });
    } finally {
      await apollo.stop();
    }
  });
});

describe('configuration', () => {
  it('defaults to DEFAULT_LIMITS and reads MAX_QUERY_* variables', () => {
    expect(loadConfig({}).limits).toEqual(DEFAULT_LIMITS);
    expect(
      loadConfig({
        MAX_QUERY_DEPTH: '20',
        MAX_QUERY_ALIASES: '0',
        MAX_QUERY_TOKENS: '2000',
        MAX_QUERY_COST: '1000000',
      }).limits,
    ).toEqual({ maxDepth: 20, maxAliases: 0, maxTokens: 2000, maxCost: 1_000_000 });
  });

  it('names each bad limit and its rule', () => {
    let error: unknown;
    try {
      loadConfig({
        MAX_QUERY_DEPTH: '0',
        MAX_QUERY_ALIASES: 'many',
        MAX_QUERY_TOKENS: '50',
        MAX_QUERY_COST: '-1',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      'MAX_QUERY_DEPTH: must be a whole number from 1 to 100',
      'MAX_QUERY_ALIASES: must be a whole number from 0 to 10000',
      'MAX_QUERY_TOKENS: must be a whole number from 100 to 1000000',
      'MAX_QUERY_COST: must be a whole number from 1 to 1000000000',
    ]);
    expect((error as Error).message).not.toContain('many');
  });
});

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

  it('counts each _entities call as 500 representations when they come in a variable', async () => {
    const r = ids.map((id) => ({ __typename: 'Contact', id }));
    const document = (n: number) => entities(n, CONTACT_FIELDS);
    const n = mostUnder(document);
    expect(n).toBeLessThan(DEFAULT_LIMITS.maxAliases);
    await expectServed(document(n), { r });
    await expectRefused(document(n + 1), 'QUERY_TOO_COSTLY', { r });
  });
});
