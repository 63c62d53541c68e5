import type { Purpose } from '@custos/policy';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { AccessRecorder } from './audit/recorder.js';
import type { AuditTrail } from './audit/setup.js';
import type { Principal } from './auth/verify.js';
import type { Logger } from './logger.js';
import { RedactionLog } from './privacy/redactions.js';
import type { Loaders } from './schema/loaders.js';
import type { CursorCodec } from './shared/cursors.js';

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
  /** Seals and opens this service's cursors (shared/cursors.ts). */
  readonly cursors: CursorCodec;
  readonly logger: Logger;
  readonly now: Date;
}

/** Keys the subgraph's own operations need (never logged, never in an answer). */
export interface Secrets {
  /** Keys the HMAC of an IP address kept as consent evidence (GDPR Art 32: pseudonymised). */
  readonly consentHmacKey: Buffer;
}

/** Everything a resolver may use. One forked EntityManager and one set of loaders per request. */
export type Context = DataContext<Loaders> & {
  readonly secrets: Secrets;
  /** Who is responsible for the processing (named on consent receipts). */
  readonly controller: { readonly name: string; readonly contact: string };
  /** The audit trail's writer and checkpoints (the audit queries read and verify them). */
  readonly auditTrail: AuditTrail;
};

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
