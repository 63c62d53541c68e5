import { costRefusal, LIMIT_CODES, PublicError } from '@custos/runtime';
import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';
import { Lexer, Source, TokenKind, type ValidationContext } from 'graphql';
import type { QueryLimits } from './config.js';

/**
 * A refusal: HTTP 400 before anything is planned; the message names the maximum, never part of the query.
 * `spec: false`: the runtime otherwise follows GraphQL over HTTP, which answers validation errors with 200
 * when the client accepts `application/json`; the contract is 400 whatever the client accepts.
 */
const refusal = (code: string, message: string, maximum: number) =>
  new PublicError(message, { extensions: { code, maximum, http: { status: 400, spec: false } } });

/**
 * Lexer tokens of a document as graphql-js's `maxTokens` counts them (comments are not tokens), stopping once
 * past `stopAfter`. A lexical error ends the count: the parser reports it.
 */
function countTokens(source: string, stopAfter: number): number {
  const lexer = new Lexer(new Source(source));
  let count = 0;
  try {
    while (count <= stopAfter && lexer.advance().kind !== TokenKind.EOF) count += 1;
  } catch {
    // Not a document: left to the parser, which answers with the syntax error.
  }
  return count;
}

/**
 * Document limits at the edge, before planning, so that a refused document costs no subgraph call. The
 * subgraphs apply their own (packages/runtime/src/limits.ts) to what the gateway sends them.
 * - tokens: counted as graphql-js's parser counts them for the subgraph's limit, before parsing;
 * - depth and aliases: graphql-armor's validation rules, whose refusals are replaced by ours (armor's own
 *   errors carry no code and answer HTTP 200). Depth counts like the subgraph's (the root field is 1,
 *   fragments add no level, introspection counts);
 * - cost: the subgraphs' own model (`queryCost`, packages/runtime/src/limits.ts) on the
 *   supergraph, per request from the coerced variables, in `onExecute` — after validation (whose verdict the
 *   runtime caches with the document) and before anything is planned. armor's cost limit is off: it reads
 *   no argument and no variable, so `first: 500` would cost what `first: 1` does. The direct path at the HTTP
 *   edge (http.ts) prices the requests it answers without the runtime with the same function;
 * - field suggestions ("Did you mean …?") are hidden in production, where introspection is off too.
 */
export function useQueryLimits(limits: QueryLimits, production: boolean): GatewayPlugin[] {
  const reportAs =
    (code: string, message: string, maximum: number) =>
    (context: ValidationContext | null): void =>
      context?.reportError(refusal(code, message, maximum));
  const tokenLimit: GatewayPlugin = {
    // Counted before parsing, on the request's text: the runtime answers parse errors as GraphQL over HTTP
    // says (200 to a client accepting JSON), whatever status the error asks for.
    onParams({ params, setResult }) {
      if (
        typeof params.query === 'string' &&
        countTokens(params.query, limits.maxTokens) > limits.maxTokens
      ) {
        const message = `Query has more tokens than the maximum of ${limits.maxTokens}`;
        setResult({ errors: [refusal(LIMIT_CODES.tokens, message, limits.maxTokens)] });
      }
    },
  };
  const costLimit: GatewayPlugin = {
    onExecute({ args, setResultAndStopExecution }) {
      const refusal = costRefusal(
        args.schema,
        args.document,
        { operationName: args.operationName, variables: args.variableValues },
        limits.maxCost,
      );
      if (refusal) setResultAndStopExecution({ errors: [refusal] });
    },
  };
  return [
    tokenLimit,
    costLimit,
    EnvelopArmorPlugin({
      maxTokens: { enabled: false },
      maxDirectives: { enabled: false },
      maxDepth: {
        n: limits.maxDepth,
        ignoreIntrospection: false,
        propagateOnRejection: false,
        onReject: [
          reportAs(
            LIMIT_CODES.depth,
            `Query depth exceeds the maximum of ${limits.maxDepth}`,
            limits.maxDepth,
          ),
        ],
      },
      maxAliases: {
        n: limits.maxAliases,
        propagateOnRejection: false,
        onReject: [
          reportAs(
            LIMIT_CODES.aliases,
            `Query has more aliases than the maximum of ${limits.maxAliases}`,
            limits.maxAliases,
          ),
        ],
      },
      costLimit: { enabled: false },
      // No mask: the suggestion is taken out of the message, which keeps holding names only (errors.ts).
      blockFieldSuggestion: { enabled: production, mask: '' },
    }),
  ];
}
