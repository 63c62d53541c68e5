import type { EntityManager } from '@mikro-orm/postgresql';
import type { Principal } from './auth/verify.js';
import type { Logger } from './logger.js';
import type { RedactionLog } from './privacy/redactions.js';
import type { Loaders } from './schema/loaders.js';

/** What the HTTP layer knows about a request; the GraphQL layer fills in the operation it resolved. */
export interface RequestInfo {
  readonly id: string;
  operationName?: string;
}

/** Everything a resolver may use. One forked EntityManager and one set of loaders per request. */
export interface Context {
  readonly request: RequestInfo;
  readonly principal: Principal;
  readonly em: EntityManager;
  readonly loaders: Loaders;
  /** Fields the policy redacted in this request, returned as `extensions.redactions`. */
  readonly redactions: RedactionLog;
  readonly logger: Logger;
  readonly now: Date;
}
