/**
 * The service runtime every Custos subgraph shares (this one and apps/tickets): identity, the HTTP edge,
 * Apollo Server with the document limits and error contract, the privacy plugin and the SQL row rules.
 * A second subgraph that applies packages/policy the same way imports it from here rather than copying it.
 */
export { type AuditTrail, createAuditTrail } from './audit/setup.js';
export { type Authenticator, createAuthenticator } from './auth/authenticate.js';
export { type DevKeys, loadOrCreateDevKeys, signDevToken } from './auth/dev-keys.js';
export type { Principal } from './auth/verify.js';
export { type Config, ConfigError, loadConfig, repoRoot } from './config.js';
export { visibleExpression } from './contacts/contact.queries.js';
export { createRequestContext, type DataContext, type RequestContext, type RequestInfo } from './context.js';
export { type Database, openDatabase } from './db/database.js';
export {
  CUSTOS_MODEL,
  createOrm,
  DatabaseRoleError,
  isMigrated,
  type Model,
  migrate,
  prepareDatabase,
  prepareSharedRole,
} from './db/orm.js';
export {
  AUDIT_WRITER_GRANTS,
  currentRole,
  dropRoles,
  excessPrivileges,
  provisionDatabase,
  type SchemaGrants,
  type TablePrivilege,
  withDatabase,
} from './db/roles.js';
export { createGraphQLServer, PUBLIC_CODES } from './http/graphql-server.js';
export {
  type CostRequest,
  costRefusal,
  DEFAULT_LIMITS,
  LIMIT_CODES,
  type QueryLimits,
  queryCost,
} from './http/limits.js';
export { BodyTooLarge, continueWithinLimit, errorBody, readBody, sendJson } from './http/respond.js';
export { closeServer, createHttpServer, listen } from './http/server.js';
export { createLogger, type Logger } from './logger.js';
export { decisionOn, decisionsFor, type RowPrivacyState, visibleWhen } from './privacy/decisions.js';
export {
  default as custosPrivacyPlugin,
  guardOperation,
  type PageTypeExtensions,
} from './privacy/plugin.js';
export { RedactionLog } from './privacy/redactions.js';
export { rowScope } from './privacy/row-scope.js';
export type { SubgraphTypes } from './schema/builder.js';
export { federatedSchema, PII_SPEC_URL } from './schema/federation.js';
export { checkedScalars } from './schema/scalar-rules.js';
export { byIdLoader, type ChildPageKey, childPageLoader } from './shared/batch.js';
export { CursorCodec, loadCursorCodec } from './shared/cursors.js';
export { ConflictError, NotFoundError, ValidationError } from './shared/errors.js';
export {
  type Connection,
  decodeTimeCursor,
  isUuid,
  MAX_PAGE,
  pageSize,
  toConnection,
} from './shared/pagination.js';
export {
  namesOnlyOr,
  PublicError,
  publicValidation,
  syntaxMessage,
  variableError,
  variableErrors,
} from './shared/public-errors.js';
export { isoTimestamp, onSql, Params, query, rowsByIds } from './shared/sql.js';
export { Validator } from './shared/validate.js';
export { exitOnSignals } from './shutdown.js';
