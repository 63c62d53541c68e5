import type { ApolloServerPlugin } from '@apollo/server';
import type { RequestContext } from './context.js';

/**
 * Writes the request's redactions into `extensions.redactions` (DESIGN.md, "Redaction semantics"), for
 * every response that has any, errors or not.
 */
export const redactionsPlugin: ApolloServerPlugin<RequestContext> = {
  async requestDidStart() {
    return {
      async willSendResponse({ response, contextValue }) {
        const entries = contextValue.redactions?.entries;
        if (!entries || entries.length === 0 || response.body.kind !== 'single') return;
        const result = response.body.singleResult;
        result.extensions = { ...result.extensions, redactions: entries };
      },
    };
  },
};
