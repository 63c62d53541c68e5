import type { ApolloServerPlugin } from '@apollo/server';
import { auditsEveryOperation } from '@custos/policy';
import { Kind, type OperationDefinitionNode } from 'graphql';
import type { RequestContext } from '../context.js';
import type { Outcome } from './chain.js';
import { AuditUnavailable, type AuditWriter } from './writer.js';

/** The fields an operation asks for at its root (names, not aliases), e.g. `contacts`, `_entities`. */
function rootFields(operation: OperationDefinitionNode): string[] {
  const names = new Set<string>();
  for (const selection of operation.selectionSet.selections) {
    if (selection.kind === Kind.FIELD) names.add(selection.name.value);
    else if (selection.kind === Kind.INLINE_FRAGMENT) {
      for (const inner of selection.selectionSet.selections)
        if (inner.kind === Kind.FIELD) names.add(inner.name.value);
    }
  }
  return [...names].slice(0, 50);
}

/**
 * One audit event per executed operation that touched personal data, changed something, or was refused — and,
 * for a purpose the policy says so of (compliance), every operation. Handed to the writer as the response is sent; when the
 * writer has no room for it after its wait, the response carries no data: nothing is revealed unaudited.
 */
export function auditPlugin(writer: AuditWriter): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response, contextValue: ctx, operation }) {
          if (!operation || !ctx.principal || !ctx.audit || response.body.kind !== 'single') return;
          const result = response.body.singleResult;
          const errors = result.errors ?? [];
          const outcome: Outcome =
            errors.length === 0
              ? 'OK'
              : errors.some((e) => e.extensions?.code === 'FORBIDDEN')
                ? 'FORBIDDEN'
                : result.data
                  ? 'PARTIAL'
                  : 'ERROR';
          const mutation = operation.operation === 'mutation';
          const subjects = ctx.audit.subjects;
          if (
            subjects.size === 0 &&
            !mutation &&
            outcome === 'OK' &&
            !auditsEveryOperation(ctx.principal.purpose)
          ) {
            return;
          }
          const pending = writer.submit({
            occurredAt: ctx.now,
            actorSub: ctx.principal.sub,
            actorRoles: ctx.principal.roles,
            purpose: ctx.principal.purpose,
            operationType: mutation ? 'mutation' : 'query',
            operationName: operation.name?.value ?? null,
            rootFields: rootFields(operation),
            requestId: ctx.request.id,
            gatewayRequestId: ctx.request.upstreamId ?? null,
            outcome,
            subjects,
          });
          if (!pending) return;
          try {
            await pending;
          } catch (error) {
            if (!(error instanceof AuditUnavailable)) throw error;
            ctx.logger.error({ requestId: ctx.request.id }, 'audit trail unavailable: response withheld');
            response.http.status = 503;
            response.body.singleResult = {
              errors: [
                {
                  message:
                    'The audit trail cannot record this request now; nothing was revealed. Try again shortly.',
                  extensions: { code: 'AUDIT_UNAVAILABLE' },
                },
              ],
            };
          }
        },
      };
    },
  };
}
