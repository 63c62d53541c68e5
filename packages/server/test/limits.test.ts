import { HeaderMap } from '@apollo/server';
import { createLogger, type QueryLimits } from '@custos/runtime';
import { buildSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { createGraphQLServer } from '../src/index.js';

/** The shapes the limits see: a connection priced by `first`, a nested relation, a plain root field. */
const schema = buildSchema(`
  type Query { contacts(first: Int = 50, after: String): ContactConnection! contact(id: ID!): Contact }
  type ContactConnection { nodes: [Contact!]! totalCount: Int! }
  type Company { id: ID! contacts(first: Int = 50): ContactConnection! }
  type Contact { id: ID! email: String company: Company }
`);

interface Answer {
  data?: Record<string, unknown>;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

describe('Apollo Server with custom limits (no database)', () => {
  const small: QueryLimits = { maxDepth: 3, maxAliases: 2, maxTokens: 40, maxCost: 100 };
  const context = async () => ({ request: { id: 'test' } }) as never;
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
      body: JSON.parse(result.body.string) as Answer,
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
