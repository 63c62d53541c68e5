import type { ApolloServerPlugin, BaseContext, GraphQLRequestListener } from '@apollo/server';
import { costRefusal, type QueryLimits } from '@custos/runtime';

/**
 * The cost limit at the subgraphs, per request: Apollo Server caches a validated document for every later
 * request with other variables, so the cost cannot be a validation rule. `didResolveOperation` runs after
 * validation and before execution; what it throws is the answer (HTTP 400 from the error's `http` extension).
 */
export function costLimitPlugin(limits: QueryLimits): ApolloServerPlugin<BaseContext> {
  const listener: GraphQLRequestListener<BaseContext> = {
    async didResolveOperation({ schema, document, request }) {
      const refusal = costRefusal(
        schema,
        document,
        { operationName: request.operationName, variables: request.variables },
        limits.maxCost,
      );
      if (refusal) throw refusal;
    },
  };
  return { requestDidStart: async () => listener };
}
