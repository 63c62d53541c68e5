import type { ApolloServerPlugin, GraphQLRequestContext } from '@apollo/server';
import type { Outcome } from '@custos/audit';
import { type AuditEventInput, AuditUnavailable, type AuditWriter, enqueueAuditEvent } from '@custos/audit';
import { query } from '@custos/database';
import { auditsEveryOperation } from '@custos/policy';
import { Kind, type OperationDefinitionNode } from 'graphql';
import type { DataContext } from './context.js';

type AuditedContext = DataContext<unknown>;

/** Root fields per parsed operation: documents are cached, so most requests find theirs here. */
const ROOT_FIELDS = new WeakMap<OperationDefinitionNode, readonly string[]>();

/** The fields an operation asks for at its root (names, not aliases), e.g. `contacts`, `_entities`. */
function rootFields(operation: OperationDefinitionNode): readonly string[] {
  let names = ROOT_FIELDS.get(operation);
  if (!names) {
    names = collectRootFields(operation);
    ROOT_FIELDS.set(operation, names);
  }
  return names;
}

function collectRootFields(operation: OperationDefinitionNode): string[] {
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

/** The outcome an answer's errors make of an operation (the audit event's `outcome`). */
export function outcomeOf(
  errors: readonly { extensions?: Record<string, unknown> }[],
  data: unknown,
): Outcome {
  return errors.length === 0
    ? 'OK'
    : errors.some((e) => e.extensions?.code === 'FORBIDDEN')
      ? 'FORBIDDEN'
      : data
        ? 'PARTIAL'
        : 'ERROR';
}

/** The audit event of an operation executed with `ctx`, answered with `outcome`. */
export function auditEventOf(
  ctx: AuditedContext,
  operation: OperationDefinitionNode,
  outcome: Outcome,
): AuditEventInput {
  return {
    occurredAt: ctx.now,
    actorSub: ctx.principal.sub,
    actorRoles: ctx.principal.roles,
    purpose: ctx.principal.purpose,
    operationType: operation.operation === 'mutation' ? 'mutation' : 'query',
    operationName: operation.name?.value ?? null,
    rootFields: rootFields(operation),
    requestId: ctx.request.id,
    gatewayRequestId: ctx.request.upstreamId ?? null,
    outcome,
    subjects: ctx.audit.subjects,
  };
}

/** The event of an executed operation, as its response stands (undefined before an operation was resolved). */
function eventOf({ response, contextValue: ctx, operation }: GraphQLRequestContext<AuditedContext>) {
  if (!operation || !ctx.principal || !ctx.audit || response.body?.kind !== 'single') return undefined;
  const result = response.body.singleResult;
  return auditEventOf(ctx, operation, outcomeOf(result.errors ?? [], result.data));
}

/** The answer when the audit trail cannot take a query's event: nothing of the response leaves. */
export const AUDIT_WITHHELD = {
  status: 503,
  message: 'The audit trail cannot record this request now; nothing was revealed. Try again shortly.',
  code: 'AUDIT_UNAVAILABLE',
} as const;

/**
 * Hands the event of an answer that is not a committed mutation to the writer (every path that answers a query:
 * this plugin and the direct lane). Resolves `true` when the answer may leave, `false` when it must be withheld
 * (the writer had no room for the event after its wait): nothing is revealed unaudited.
 */
export async function auditAnswer(
  writer: AuditWriter,
  ctx: AuditedContext,
  event: AuditEventInput,
): Promise<boolean> {
  if (
    event.subjects.size === 0 &&
    event.operationType !== 'mutation' &&
    event.outcome === 'OK' &&
    !auditsEveryOperation(ctx.principal.purpose)
  ) {
    return true;
  }
  const pending = writer.submit(event);
  if (!pending) return true;
  try {
    await pending;
    return true;
  } catch (error) {
    if (!(error instanceof AuditUnavailable)) throw error;
    ctx.logger.error({ requestId: ctx.request.id }, 'audit trail unavailable: response withheld');
    return false;
  }
}

function withhold(rc: GraphQLRequestContext<AuditedContext>, status: number, message: string, code: string) {
  rc.response.http.status = status;
  rc.response.body = { kind: 'single', singleResult: { errors: [{ message, extensions: { code } }] } };
  // Nothing of the withheld answer leaves, its redaction entries neither; the attempt is audited without them.
  rc.contextValue.redactions?.entries.splice(0);
  rc.contextValue.audit?.subjects.clear();
}

/**
 * One audit event per executed operation that touched personal data, changed something, or was refused — and,
 * for a purpose the policy says so of (compliance), every operation.
 *
 * A query's event is handed to the writer as the response is sent; when the writer has no room for it after its
 * wait, the response carries no data: nothing is revealed unaudited.
 *
 * A mutation runs in one transaction of the request's EntityManager (the services' own transactions become
 * savepoints inside it), and its event is inserted into the audit outbox in that same transaction, just before
 * the commit (outbox.ts): the change and its event are stored together or not at all — a mutation is never
 * answered AUDIT_UNAVAILABLE after its commit, and a process killed right after the commit loses nothing.
 */
export function auditPlugin(writer: AuditWriter): ApolloServerPlugin<AuditedContext> {
  return {
    async requestDidStart() {
      /** The mutation committed with its event in the outbox: nothing is left for the buffer. */
      let chained = false;
      return {
        async executionDidStart(rc) {
          if (rc.operation?.operation !== 'mutation' || !rc.contextValue.principal) return;
          const em = rc.contextValue.em;
          await em.begin();
          return {
            async executionDidEnd(error) {
              if (error) {
                // Nothing changed, nothing answered but the error: the attempt is audited without subjects.
                await em.rollback().catch(() => {});
                rc.contextValue.audit?.subjects.clear();
                return;
              }
              const event = eventOf(rc);
              try {
                // No event, no change (an answer this plugin cannot read, e.g. incremental delivery).
                if (!event) throw new Error('the mutation has no audit event');
                await enqueueAuditEvent((sql, params) => query(em, sql, params), writer.service, event);
                await em.commit();
              } catch (failure) {
                await em.rollback().catch(() => {});
                rc.contextValue.logger.error(
                  {
                    requestId: rc.contextValue.request.id,
                    errorName: failure instanceof Error ? failure.name : 'unknown',
                  },
                  'mutation not committed: its transaction or its audit event failed',
                );
                withhold(
                  rc,
                  503,
                  'The change could not be stored with its audit record; nothing was changed. Try again shortly.',
                  'AUDIT_UNAVAILABLE',
                );
                return;
              }
              // Test-only (refused in production by config): dies as a crash would, after the commit and
              // before the answer.
              if (writer.crashAfterCommit) process.kill(process.pid, 'SIGKILL');
              chained = true;
              writer.pendingCommitted();
            },
          };
        },
        async willSendResponse(rc) {
          // A committed mutation's event went with its transaction. A mutation rolled back (failed, or withheld)
          // changed nothing: its attempt goes to the buffer like a query's event.
          if (chained) return;
          const event = eventOf(rc);
          if (!event) return;
          if (!(await auditAnswer(writer, rc.contextValue, event))) {
            withhold(rc, AUDIT_WITHHELD.status, AUDIT_WITHHELD.message, AUDIT_WITHHELD.code);
          }
        },
      };
    },
  };
}
