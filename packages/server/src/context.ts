import { AccessRecorder } from '@custos/audit';
import type { SqlSession } from '@custos/database';
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
  /**
   * Where plain SQL reads go (packages/database `query`): the connection and transaction of the request's
   * EntityManager once it has one (a read joins its transaction), else the same connection outside any, without
   * forking an EntityManager the read never uses (a list is one statement: no entity, no unit of work).
   */
  readonly sql: SqlSession;
  readonly loaders: L;
}

/** What a context's lazy members need, shared by the context and Apollo's per-operation copies of it. */
interface LazyState<L> {
  readonly orm: MikroORM;
  readonly makeLoaders: (sql: SqlSession, purpose: Purpose) => L;
  readonly purpose: Purpose;
  em?: EntityManager;
  loaders?: L;
}

/**
 * The EntityManager and the loaders of a request, made on first use. One class for every request, so every
 * context has the same shape and prototype: the resolvers' property reads stay monomorphic (a prototype built per
 * request, as before, gave each context its own hidden class). The getters read `lazy`, an own property, because
 * Apollo Server copies a context's own enumerable properties onto a new object of the same prototype for each
 * operation: the copy shares the state, so a fork made through either is the request's one fork.
 */
class LazyMembers<L> {
  declare lazy: LazyState<L>;

  get em(): EntityManager {
    const state = this.lazy;
    state.em ??= state.orm.em.fork();
    return state.em;
  }

  get loaders(): L {
    const state = this.lazy;
    state.loaders ??= state.makeLoaders((this as unknown as { sql: SqlSession }).sql, state.purpose);
    return state.loaders;
  }
}

/**
 * A request's context for `principal`. The EntityManager and the loaders (bound to the purpose, reading through
 * `sql`) are made on first use: a request refused later, or answered from its first statement, pays for neither,
 * and one that only reads never forks an EntityManager.
 */
export function createRequestContext<
  L,
  B extends {
    readonly request: RequestInfo;
    readonly principal: Principal;
    readonly logger: Logger;
    readonly cursors: CursorCodec;
  },
>(base: B, orm: MikroORM, makeLoaders: (sql: SqlSession, purpose: Purpose) => L): B & DataContext<L> {
  const lazy: LazyState<L> = { orm, makeLoaders, purpose: base.principal.purpose };
  // Plain reads: the fork's connection and transaction once there is a fork, else the same connection outside any.
  const sql = {
    getConnection: (...args: Parameters<EntityManager['getConnection']>) =>
      (lazy.em ?? orm.em).getConnection(...args),
    getTransactionContext: () => lazy.em?.getTransactionContext(),
  } as SqlSession;
  const context = new LazyMembers<L>() as LazyMembers<L> & Record<string, unknown>;
  Object.assign(context, base);
  context.lazy = lazy;
  context.sql = sql;
  context.redactions = new RedactionLog();
  context.audit = new AccessRecorder();
  context.now = new Date();
  return context as unknown as B & DataContext<L>;
}
