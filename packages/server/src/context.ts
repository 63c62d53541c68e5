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

/**
 * A request's context for `principal`. The EntityManager and the loaders (bound to the purpose, reading through
 * `sql`) are made on first use: a request refused later, or answered from its first statement, pays for neither,
 * and one that only reads never forks an EntityManager. They are getters on the context's prototype, not its own properties, because Apollo Server
 * copies the context's own properties for each operation (`Object.assign` onto an object of the same
 * prototype): own getters would run at that copy and make both for every request.
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
  let em: EntityManager | undefined;
  let loaders: L | undefined;
  const forked = () => {
    em ??= orm.em.fork();
    return em;
  };
  // Plain reads: the fork's connection and transaction once there is a fork, else the same connection outside any.
  const sql = {
    getConnection: (...args: Parameters<EntityManager['getConnection']>) =>
      (em ?? orm.em).getConnection(...args),
    getTransactionContext: () => em?.getTransactionContext(),
  } as SqlSession;
  const lazy = Object.create(Object.prototype, {
    em: { get: forked },
    sql: { value: sql },
    loaders: {
      get: () => {
        loaders ??= makeLoaders(sql, base.principal.purpose);
        return loaders;
      },
    },
  }) as Pick<DataContext<L>, 'em' | 'sql' | 'loaders'>;
  return Object.assign(Object.create(lazy) as typeof lazy, base, {
    redactions: new RedactionLog(),
    audit: new AccessRecorder(),
    now: new Date(),
  });
}
