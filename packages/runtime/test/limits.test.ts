import {
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
import { describe, expect, it } from 'vitest';
import {
  aliasCount,
  ConfigError,
  type CostRequest,
  costRefusal,
  countTokens,
  DEFAULT_LIMITS,
  limitRules,
  loadConfig,
  type QueryLimits,
  queryCost,
  queryDepth,
} from '../src/index.js';
import { limitsSchema as schema } from './support/limits-schema.js';

/*
 * The query limits and their one cost model (src/limits.ts), on a small schema with the real one's shapes. The
 * same functions guard the subgraphs and the gateway; their use over HTTP is tested where they run
 * (apps/subgraph/test/limits.test.ts, test/federation/edge.test.ts).
 */

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
