import { AccessRecorder } from '@custos/audit';
import { RedactionLog } from '@custos/enforcement';
import type { Purpose } from '@custos/policy';
import type { CursorCodec, Logger, Principal } from '@custos/runtime';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';

/** What the HTTP layer knows about a request; the GraphQL layer fills in the operation it resolved. */
export interface RequestInfo {
  readonly id: string;
  /** The gateway's request id (`x-request-id`), when a well-formed one came with the request. */
  readonly upstreamId?: string;
  operationName?: string;
}

/** What every Custos subgraph's request carries (this one and apps/tickets): the HTTP and GraphQL layers need no more. */
export interface RequestContext {
  readonly request: RequestInfo;
  readonly principal: Principal;
  /** Fields the policy redacted in this request, returned as `extensions.redactions`. */
  readonly redactions: RedactionLog;
  /** What this request revealed and redacted, per contact: the audit trail's input. */
  readonly audit: AccessRecorder;
  /** Seals and opens this service's cursors (packages/runtime/src/cursors.ts). */
  readonly cursors: CursorCodec;
  readonly logger: Logger;
  readonly now: Date;
}

/** What a subgraph's resolvers get: the request, one forked EntityManager and its loaders. */
export interface DataContext<L> extends RequestContext {
  readonly em: EntityManager;
  readonly loaders: L;
}

/**
 * A request's context for `principal`. The EntityManager and the loaders (bound to the purpose) are made on
 * first use: a request refused later, or answered from its first statement, pays for neither.
 */
export function createRequestContext<
  L,
  B extends {
    readonly request: RequestInfo;
    readonly principal: Principal;
    readonly logger: Logger;
    readonly cursors: CursorCodec;
  },
>(base: B, orm: MikroORM, makeLoaders: (em: EntityManager, purpose: Purpose) => L): B & DataContext<L> {
  let em: EntityManager | undefined;
  let loaders: L | undefined;
  const forked = () => {
    em ??= orm.em.fork();
    return em;
  };
  return {
    ...base,
    redactions: new RedactionLog(),
    audit: new AccessRecorder(),
    now: new Date(),
    get em() {
      return forked();
    },
    get loaders() {
      loaders ??= makeLoaders(forked(), base.principal.purpose);
      return loaders;
    },
  };
}
