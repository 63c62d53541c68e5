import type { IncomingMessage } from 'node:http';
import type { Principal } from '@custos/runtime';

/** What the HTTP edge (http.ts) hands the runtime with each request. */
export interface ServerContext {
  readonly req: IncomingMessage;
  /**
   * What the request log may say about the GraphQL request, filled in while it runs. (Not `log`: the runtime
   * puts its own logger there.)
   */
  readonly requestLog: { operationName?: string; path?: 'direct'; clientRequestId?: string };
}

/** What the gateway adds to each GraphQL request's context: the verified caller (identity.ts). */
export interface EdgeContext {
  readonly principal?: Principal;
}
