import { type Logger, PUBLIC_CODES } from '@custos/subgraph/kit';
import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';
import { type ExecutionResult, GraphQLError } from 'graphql';

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
    return new GraphQLError(error.message, { nodes: error.nodes, path: error.path, extensions });
  };
}

export function useSafeSubgraphErrors(logger: Logger): GatewayPlugin {
  const safe = safeSubgraphError(logger);
  return {
    onExecute() {
      return {
        onExecuteDone({ result, setResult }) {
          const { errors } = result as ExecutionResult;
          if (Symbol.asyncIterator in result || !errors?.length) return;
          setResult({ ...(result as ExecutionResult), errors: errors.map(safe) });
        },
      };
    },
  };
}
