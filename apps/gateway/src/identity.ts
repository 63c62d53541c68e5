import type { Authenticator, Principal } from '@custos/runtime';
import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';
import { GraphQLError } from 'graphql';
import type { EdgeContext, ServerContext } from './context.js';

/**
 * Identity at the edge, with the subgraphs' own authenticator (`createAuthenticator` from @custos/runtime: the same
 * JWT rules, the same purpose check against packages/policy). It runs as soon as a GraphQL request's
 * parameters are read, before parsing, validation or planning: a missing, expired or forged token answers
 * HTTP 401 UNAUTHENTICATED, a purpose the caller's roles do not hold HTTP 403 FORBIDDEN, and no subgraph is
 * called. The verified principal goes into the context for the edge policy (privacy/redactions.ts).
 */
export function useIdentity(authenticate: Authenticator): GatewayPlugin<EdgeContext> {
  const principals = new WeakMap<Request, Principal>();
  return {
    async onParams({ request, context, setResult }) {
      try {
        // The gateway's request id (http.ts) for the audit event of a refusal.
        const id = request.headers.get('x-request-id') ?? '';
        principals.set(request, await authenticate((context as unknown as ServerContext).req, { id }));
      } catch (error) {
        // The kit's request errors carry their HTTP status in extensions.http, which the runtime answers with.
        if (error instanceof GraphQLError) setResult({ errors: [error] });
        else throw error;
      }
    },
    onContextBuilding({ context, extendContext }) {
      const principal = principals.get(context.request);
      if (principal) extendContext({ principal });
    },
  };
}
