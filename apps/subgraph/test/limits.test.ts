import { HeaderMap } from '@apollo/server';
import {
  aliasCount,
  ConfigError,
  type CostRequest,
  costRefusal,
  countTokens,
  createLogger,
  DEFAULT_LIMITS,
  limitRules,
  loadConfig,
  type QueryLimits,
  queryCost,
  queryDepth,
} from '@custos/runtime';
import { createGraphQLServer } from '@custos/server';
import {
  buildSchema,
  type DocumentNode,
  getIntrospectionQuery,
  Kind,
  type OperationDefinitionNode,
  parse,
  parseType,
  print,
  specifiedRules,
  TypeInfo,
  type VariableDefinitionNode,
  validate,
  valueFromAST,
  visit,
  visitWithTypeInfo,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Context } from '../src/context.js';
import { buildSchema as buildSubgraphSchema } from '../src/schema.js';
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
    companies(first: Int = 50): CompanyConnection!
  }
  type CompanyConnection { edges: [CompanyEdge!]! nodes: [Company!]! totalCount: Int! }
  type CompanyEdge { node: Company! }
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

const cost = (query: string, request?: CostRequest) => queryCost(schema, parse(query), request);
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
    // omitted: the argument's default (50)
    expect(cost('{ contacts { edges { node { id email } } } }')).toBe(152);
    // never more than 500 a page, never less than 0
    expect(cost('{ contacts(first: 100000) { edges { node { id email } } } }')).toBe(1502);
    expect(cost('{ contacts(first: 0) { edges { node { id email } } } }')).toBe(2);
    expect(cost('{ contacts(first: -5) { edges { node { id email } } } }')).toBe(2);
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

  it('cost: a variable counts with the value the request gives it, coerced as execution coerces it', () => {
    // The query of the report: costed with its default 1, it ran with 500. companies 1 + edges 1 +
    // n × (node 1 + contacts 1 + edges 1 + n × (node 1 + id 1 + email 1)) = 2 + n × (3 + 3n).
    const nested = (n: number) => 2 + n * (3 + 3 * n);
    const body = `companies(first: $n) { edges { node { contacts(first: $n) { edges { node { id email } } } } } }`;
    const withDefault = `query($n: Int = 1) { ${body} }`;
    expect(cost(withDefault)).toBe(nested(1));
    expect(cost(withDefault, { variables: { n: 500 } })).toBe(nested(500));
    expect(cost(withDefault, { variables: { n: 30 } })).toBe(nested(30));
    // Without a default: the value given; none given leaves the argument to its own default (50); null is
    // read as the resolvers read it (50).
    const noDefault = `query($n: Int) { ${body} }`;
    expect(cost(noDefault, { variables: { n: 500 } })).toBe(nested(500));
    expect(cost(noDefault)).toBe(nested(50));
    expect(cost(noDefault, { variables: { n: null } })).toBe(nested(50));
    expect(cost(noDefault, { variables: { n: 100_000 } })).toBe(nested(500));
    // Variables that do not coerce (refused by execution anyway) count as the largest page.
    expect(cost(`query($n: Int!) { ${body} }`)).toBe(nested(500));
    expect(cost(noDefault, { variables: { n: '3' } })).toBe(nested(500));
    expect(cost(noDefault, { variables: { n: 2.5 } })).toBe(nested(500));
  });

  it('cost: the same query with literals and with variables costs the same', () => {
    // Every literal argument of a document becomes a variable of the argument's type, given the literal's
    // value: the cost must not change, whatever the values.
    const asVariables = (literal: string): { document: DocumentNode; variables: Record<string, unknown> } => {
      const typeInfo = new TypeInfo(schema);
      const definitions: VariableDefinitionNode[] = [];
      const variables: Record<string, unknown> = {};
      const document = visit(
        parse(literal),
        visitWithTypeInfo(typeInfo, {
          Argument(node) {
            const argument = typeInfo.getArgument();
            if (!argument || node.value.kind === Kind.VARIABLE) return undefined;
            const name = `v${definitions.length}`;
            variables[name] = valueFromAST(node.value, argument.type);
            definitions.push({
              kind: Kind.VARIABLE_DEFINITION,
              variable: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: name } },
              type: parseType(String(argument.type)),
            });
            return { ...node, value: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: name } } };
          },
        }),
      );
      const withDefinitions = {
        ...document,
        definitions: document.definitions.map((d) =>
          d.kind === Kind.OPERATION_DEFINITION
            ? ({ ...d, variableDefinitions: definitions } as OperationDefinitionNode)
            : d,
        ),
      };
      // Printed and parsed again: the variable document is an ordinary request text.
      return { document: parse(print(withDefinitions)), variables };
    };
    // companies 1 + nodes 1 + a × (contacts 1 + nodes 1 + b × (id 1 + email 1)), each page within 0..500
    const page = (n: number) => Math.max(0, Math.min(n, 500));
    const expected = (a: number, b: number) => 2 + page(a) * (2 + 2 * page(b));
    const pairs = [
      [0, 0],
      [1, 1],
      [7, 3],
      [157, 157],
      [158, 158],
      [500, 500],
      [501, 2],
      [3, 100_000],
    ] as const;
    for (const [a, b] of pairs) {
      const literal = `{ companies(first: ${a}) { nodes { contacts(first: ${b}) { nodes { id email } } } } }`;
      const { document, variables } = asVariables(literal);
      expect(Object.keys(variables)).toHaveLength(2);
      expect(print(document)).toMatch(/companies\(first: \$v0\)/);
      expect(cost(literal), literal).toBe(expected(a, b));
      expect(queryCost(schema, document, { variables }), literal).toBe(expected(a, b));
    }
    // Other shapes: fragments, `_entities` with a literal list, mutations, lists without a page.
    const shapes = [
      `{ contacts(first: 12) { ...Page } }
        fragment Page on ContactConnection { totalCount edges { node { interactions(first: 4) { totalCount edges { node { id } } } } } }`,
      '{ _entities(representations: [{ id: "1" }, { id: "2" }]) { ... on Contact { id interactions(first: 9) { edges { node { id } } } } } }',
      'mutation { touch(id: "1") { interactions(first: 33) { edges { node { subject } } } } }',
      '{ contact(id: "1") { company { contacts(first: 499) { nodes { id } } } } tags { name } }',
    ];
    for (const literal of shapes) {
      const { document, variables } = asVariables(literal);
      expect(Object.keys(variables).length, literal).toBeGreaterThan(0);
      expect(queryCost(schema, document, { variables }), literal).toBe(cost(literal));
    }
    // By hand: contacts 1 + totalCount 1 + edges 1 + 12 × (node 1 + interactions 1 + totalCount 1 + edges 1 +
    // 4 × 2); _entities 1 + 2 × (id 1 + interactions 1 + edges 1 + 9 × 2); touch 1 + interactions 1 + edges 1 +
    // 33 × 2; contact, company, contacts, nodes 4 + 499 + tags 1 + 50.
    expect(shapes.map((literal) => cost(literal))).toEqual([
      3 + 12 * 12,
      1 + 2 * 21,
      3 + 33 * 2,
      4 + 499 + 51,
    ]);
  });

  it('cost: _entities counts the representations it is given, literal or variable', () => {
    const entities = 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Contact { id email } } }';
    const reps = (n: number) => Array.from({ length: n }, (_, i) => ({ __typename: 'Contact', id: `${i}` }));
    expect(cost(entities, { variables: { r: reps(3) } })).toBe(1 + 3 * 2);
    expect(cost(entities, { variables: { r: reps(0) } })).toBe(1);
    expect(cost(entities, { variables: { r: reps(700) } })).toBe(1 + 700 * 2);
    // One object where a list is expected is coerced into a list of one.
    expect(cost(entities, { variables: { r: reps(1)[0] } })).toBe(1 + 2);
    // None given: the variable does not coerce, the most a call takes (500) counts.
    expect(cost(entities)).toBe(1 + 500 * 2);
    expect(
      cost(
        '{ _entities(representations: [{ id: "1" }, { id: "2" }, { id: "3" }]) { ... on Contact { id } } }',
      ),
    ).toBe(4);
    expect(
      cost(
        `query($r: [_Any!]!) {
          a: _entities(representations: $r) { ... on Contact { id } }
          b: _entities(representations: $r) { ... on Contact { id } } }`,
        { variables: { r: reps(10) } },
      ),
    ).toBe(2 * (1 + 10));
  });

  it('cost: other lists 50, introspection 1; @skip and @include as execution reads them', () => {
    expect(cost('{ tags { name } }')).toBe(51);
    expect(cost('{ __schema { types { fields { name } } } }')).toBe(4);
    expect(cost(getIntrospectionQuery())).toBeLessThan(1000);
    const optional =
      'query($big: Boolean!) { contacts(first: 500) @include(if: $big) { nodes { id } } tags { name } }';
    expect(cost(optional, { variables: { big: true } })).toBe(502 + 51);
    expect(cost(optional, { variables: { big: false } })).toBe(51);
    // Not given (does not coerce): counted as included.
    expect(cost(optional)).toBe(502 + 51);
    const skipped =
      'query($s: Boolean = false) { ... @skip(if: $s) { contacts(first: 500) { nodes { id } } } }';
    expect(cost(skipped)).toBe(502);
    expect(cost(skipped, { variables: { s: true } })).toBe(0);
  });

  it('cost: the operation the request names counts, mutations included; none named, the costliest', () => {
    const document =
      'query A { tags { name } } query B($n: Int) { contacts(first: $n) { nodes { id } } } mutation C($n: Int) { touch(id: 1) { interactions(first: $n) { edges { node { id } } } } }';
    expect(cost(document, { operationName: 'A' })).toBe(51);
    expect(cost(document, { operationName: 'B', variables: { n: 500 } })).toBe(502);
    expect(cost(document, { operationName: 'B', variables: { n: 5 } })).toBe(7);
    // touch 1 + interactions 1 + edges 1 + n × (node 1 + id 1)
    expect(cost(document, { operationName: 'C', variables: { n: 500 } })).toBe(1003);
    expect(cost(document, { operationName: 'C', variables: { n: 2 } })).toBe(7);
    // An unknown name (execution refuses it): the costliest operation, with the variables given.
    expect(cost(document, { operationName: 'D', variables: { n: 500 } })).toBe(1003);
    expect(cost(document, { variables: { n: 500 } })).toBe(1003);
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
    expect(costRefusal(schema, parse(costly), {}, 32)).toBeUndefined();
    const refusal = costRefusal(schema, parse(costly), {}, 31);
    expect({ code: refusal?.extensions.code, message: refusal?.message }).toEqual({
      code: 'QUERY_TOO_COSTLY',
      message: 'Query cost exceeds the maximum of 31',
    });
    expect(refusal?.extensions).toEqual({ code: 'QUERY_TOO_COSTLY', maximum: 31, http: { status: 400 } });
  });

  it('reports every document limit a document breaks; the cost is left to the request', () => {
    const doc = `query($r: [_Any!]!) { a: _entities(representations: $r) { ... on Contact { company { name } } }
      b: _entities(representations: $r) { ... on Contact { id } } }`;
    expect(
      refusals(doc, { maxDepth: 2, maxAliases: 1, maxTokens: 10, maxCost: 100 }).map((r) => r.code),
    ).toEqual(['TOO_MANY_TOKENS', 'QUERY_TOO_DEEP', 'TOO_MANY_ALIASES']);
    // Validation's verdict is cached with the document: no rule may depend on the variables, so none prices.
    const nested =
      '{ contacts(first: 500) { nodes { interactions(first: 500) { edges { node { id } } } } } }';
    expect(queryCost(schema, parse(nested))).toBeGreaterThan(DEFAULT_LIMITS.maxCost);
    expect(refusals(nested)).toEqual([]);
    // The same document priced per request: a: 1 + n × (company 1 + name 1), b: 1 + n × id 1; 2 + 3n.
    const r = (n: number) => Array.from({ length: n }, (_, i) => ({ __typename: 'Contact', id: `${i}` }));
    expect(costRefusal(schema, parse(doc), { variables: { r: r(32) } }, 100)).toBeUndefined();
    expect(costRefusal(schema, parse(doc), { variables: { r: r(33) } }, 100)?.extensions.code).toBe(
      'QUERY_TOO_COSTLY',
    );
  });

  it('lets the standard introspection query through with the defaults', () => {
    expect(refusals(getIntrospectionQuery())).toEqual([]);
  });
});

describe('Apollo Server with custom limits (no database)', () => {
  const small: QueryLimits = { maxDepth: 3, maxAliases: 2, maxTokens: 40, maxCost: 100 };
  const context = async () => ({ request: { id: 'test' } }) as unknown as Context;
  const logger = createLogger('silent');
  const post = async (
    apollo: Awaited<ReturnType<typeof createGraphQLServer>>,
    query: string,
    variables?: Record<string, unknown>,
  ) => {
    const result = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: {
        method: 'POST',
        headers: new HeaderMap([['content-type', 'application/json']]),
        search: '',
        body: variables ? { query, variables } : { query },
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

  it('prices each request of one cached document with its own variables', async () => {
    const apollo = await createGraphQLServer(schema, logger, false, small);
    try {
      // __typename 1, plus contacts 1 + nodes 1 + 500 × 2 when included
      const query =
        'query($big: Boolean!) { __typename contacts(first: 500) @include(if: $big) { nodes { id email } } }';
      const served = { status: 200, body: { data: { __typename: 'Query' } } };
      expect(await post(apollo, query, { big: false })).toEqual(served);
      expect(await post(apollo, query, { big: true })).toEqual({
        status: 400,
        body: {
          errors: [
            {
              message: 'Query cost exceeds the maximum of 100',
              extensions: { code: 'QUERY_TOO_COSTLY', maximum: 100 },
            },
          ],
        },
      });
      expect(await post(apollo, query, { big: false })).toEqual(served);
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
