import type { EntityManager } from '@mikro-orm/postgresql';
import type { Principal } from './auth/verify.js';
import type { Logger } from './logger.js';
import type { Loaders } from './schema/loaders.js';

/** Everything a resolver may use. One forked EntityManager and one set of loaders per request. */
export interface Context {
  readonly principal: Principal;
  readonly em: EntityManager;
  readonly loaders: Loaders;
  readonly logger: Logger;
  readonly now: Date;
}
