import {
  LIMIT_CODES,
  type Logger,
  namesOnlyOr,
  PUBLIC_CODES,
  PublicError,
  publicValidation,
  syntaxMessage,
  variableErrors,
} from '@custos/runtime';
import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';
import { type ExecutionResult, GraphQLError, getOperationAST } from 'graphql';

/**
 * Extension keys that describe the gateway's insides rather than the error: the HTTP exchange with a failing
 * subgraph (its body holds the client's variables) and the subgraph's name.
 */
const INTERNAL_EXTENSIONS = new Set([
  'request',
  'response',
  'serviceName',
  'stacktrace',
  'exception',
  'http',
]);

const internalError = (error: GraphQLError) =>
  new GraphQLError('Internal server error', {
    nodes: error.nodes,
    path: error.path,
    extensions: { code: 'INTERNAL_SERVER_ERROR' },
  });

/**
 * For the runtime's `maskedErrors.maskError`: errors that are not GraphQL errors (a bug, a transport failure
 * naming a host) are logged by name and answered with a generic message, like the subgraph's formatError.
 */
export function maskUnexpected(logger: Logger): (error: unknown) => Error {
  return (error) => {
    const cause = error instanceof GraphQLError ? (error.originalError ?? error) : error;
    if (error instanceof GraphQLError && cause instanceof GraphQLError) return error;
    // The runtime parses a GET request's `variables` and `extensions` with JSON.parse, whose error quotes them.
    if (cause instanceof SyntaxError) {
      return new PublicError('Request parameters are not valid JSON', {
        extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
      });
    }
    logger.error({ errorName: cause instanceof Error ? cause.name : typeof cause }, 'unexpected error');
    return error instanceof GraphQLError
      ? internalError(error)
      : new GraphQLError('Internal server error', { extensions: { code: 'INTERNAL_SERVER_ERROR' } });
  };
}

/**
 * Errors relayed from subgraphs, filtered like the subgraphs filter their own: a contract code keeps its
 * message and its public extensions (`problems`, `field`, `maximum` …); anything else — a subgraph that is
 * down, answers garbage or fails unexpectedly — becomes INTERNAL_SERVER_ERROR, logged with its code.
 */
export function safeSubgraphError(logger: Logger): (error: GraphQLError) => GraphQLError {
  return (error) => {
    const { code } = error.extensions;
    if (typeof code !== 'string' || !PUBLIC_CODES.has(code)) {
      logger.error({ code, subgraph: error.extensions.serviceName, path: error.path }, 'subgraph error');
      return internalError(error);
    }
    const extensions = Object.fromEntries(
      Object.entries(error.extensions).filter(([key]) => !INTERNAL_EXTENSIONS.has(key)),
    );
    // A contract code: the subgraph's own message, already free of submitted values (its formatError).
    return new PublicError(error.message, { nodes: error.nodes, path: error.path, extensions });
  };
}

/**
 * The HTTP answer to a refused document: 400 whatever the client accepts, as the subgraphs answer it. One
 * object per error: the runtime's own hooks write into it (and mark parse errors `spec`, answered 200 to a
 * client accepting JSON; {@link useSafeErrors} takes that back before the answer is written).
 */
const refused = () => ({ status: 400, spec: false });

const LIMITS: ReadonlySet<unknown> = new Set(Object.values(LIMIT_CODES));

/**
 * No error the gateway answers carries a submitted value (DESIGN.md, "Errors"), by the subgraphs' rules
 * (shared/public-errors.ts in the subgraph kit):
 * - parse errors: rebuilt from the kinds of the tokens, never their text;
 * - validation errors: a refused value (a literal of the wrong type, an unknown or missing input field) is
 *   named by its position and its type's rule and answered BAD_USER_INPUT; other rules keep messages that hold
 *   names only; the limits keep theirs;
 * - variables: graphql-js's coercion messages quote the value; a refusal is checked again by structure and
 *   answered with the variable, the position and the rule (BAD_USER_INPUT, HTTP 400). An answer without data
 *   from the direct path (the subgraph refused the variables) is checked the same way;
 * - errors relayed from subgraphs: filtered by {@link safeSubgraphError}.
 */
export function useSafeErrors(logger: Logger): GatewayPlugin {
  const safe = safeSubgraphError(logger);
  return {
    onParse() {
      return ({ result, replaceParseResult }) => {
        if (!(result instanceof Error)) return;
        const syntax = result instanceof GraphQLError ? result : undefined;
        replaceParseResult(
          new PublicError(syntaxMessage(syntax?.message ?? ''), {
            ...(syntax?.source ? { source: syntax.source } : {}),
            ...(syntax?.positions ? { positions: syntax.positions } : {}),
            extensions: { code: 'GRAPHQL_PARSE_FAILED', http: refused() },
          }),
        );
      };
    },
    onValidate({ params }) {
      return ({ valid, result, setResult }) => {
        if (valid) return;
        setResult(
          (result as GraphQLError[]).map((error) => {
            if (LIMITS.has(error.extensions?.code)) return error;
            const checked = publicValidation(error, params.schema, params.documentAST);
            return new PublicError(checked.message, {
              ...(error.nodes ? { nodes: error.nodes } : {}),
              extensions: {
                code: checked.valueError ? 'BAD_USER_INPUT' : 'GRAPHQL_VALIDATION_FAILED',
                http: refused(),
              },
            });
          }),
        );
      };
    },
    onResultProcess({ result, setResult }) {
      if (Array.isArray(result) || Symbol.asyncIterator in result) return;
      const { errors } = result as ExecutionResult;
      if (!errors?.length) return;
      setResult({
        ...(result as ExecutionResult),
        errors: errors.map((error) => {
          const http = error.extensions?.http as { status?: number; spec?: boolean } | undefined;
          if (error instanceof PublicError) {
            // The runtime's parse hook marks parse errors as GraphQL over HTTP's (200 for JSON): not ours.
            if (http) http.spec = false;
            return error;
          }
          // Anything else the runtime answers by itself (a body that is not JSON, a bad parameter): no value,
          // no `originalError` with the body in it; names only, or the generic sentence for its code.
          const code = error.extensions?.code ?? 'BAD_REQUEST';
          return new PublicError(namesOnlyOr(error.message, code), {
            ...(error.nodes ? { nodes: error.nodes } : {}),
            ...(error.path ? { path: error.path } : {}),
            // Its HTTP status whatever the client accepts, as the subgraphs answer (a body that is not JSON: 400).
            extensions: { code, ...(http ? { http: { ...http, spec: false } } : {}) },
          });
        }),
      });
    },
    onExecute({ args }) {
      return {
        onExecuteDone({ result, setResult }) {
          if (Symbol.asyncIterator in result) return;
          const { errors, data } = result as ExecutionResult;
          if (!errors?.length) return;
          if (data === undefined) {
            // No data at all: the variables were refused (here, or by the subgraph on the direct path).
            const operation = getOperationAST(args.document, args.operationName);
            const refusals = variableErrors(args.schema, operation, args.variableValues);
            if (refusals.length) {
              setResult({ errors: refusals });
              return;
            }
          }
          const relayed = errors.map(safe);
          // Refused as a whole by the subgraph (the direct path): a refusal, as the subgraph answered it.
          if (data === undefined && relayed.every((e) => e.extensions.code === 'BAD_USER_INPUT')) {
            for (const error of relayed) (error.extensions as Record<string, unknown>).http = refused();
          }
          setResult({ ...(result as ExecutionResult), errors: relayed });
        },
      };
    },
  };
}
