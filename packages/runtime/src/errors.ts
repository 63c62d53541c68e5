import type { GraphQLError } from 'graphql';
import { PublicError } from './public-errors.js';

/**
 * Typed domain errors. Domain code throws these; `toGraphQLError` maps them to GraphQL error codes in one
 * place. Messages name the field and the rule, never the submitted value, SQL, a constraint name or
 * another person's data (DESIGN.md, "Errors").
 */
export abstract class DomainError extends Error {
  abstract readonly code: 'BAD_USER_INPUT' | 'NOT_FOUND' | 'CONFLICT' | 'FORBIDDEN' | 'UNAUTHENTICATED';
  readonly extensions: Record<string, unknown> = {};
}

export interface FieldProblem {
  readonly field: string;
  readonly rule: string;
  readonly message: string;
}

export class ValidationError extends DomainError {
  readonly code = 'BAD_USER_INPUT';
  constructor(readonly problems: FieldProblem[]) {
    super(problems.map((p) => `${p.field}: ${p.message}`).join('; '));
    this.extensions.problems = problems;
  }
}

export class NotFoundError extends DomainError {
  readonly code = 'NOT_FOUND';
  constructor(entity: string, field = 'id') {
    super(`${entity} not found`);
    this.extensions.field = field;
  }
}

export class ConflictError extends DomainError {
  readonly code = 'CONFLICT';
  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.extensions.field = field;
  }
}

/** Who a request-level refusal (HTTP 403) turned away: a verified token whose roles do not hold the purpose. */
export interface RefusedCaller {
  readonly sub: string;
  readonly roles: readonly string[];
  /** The declared purpose when it is a known one (an unknown header value is never kept). */
  readonly purpose: string | null;
}

export class ForbiddenError extends DomainError {
  readonly code = 'FORBIDDEN';
  constructor(
    message: string,
    /** The rule that refused, as a code for the audit trail (e.g. PURPOSE_NOT_HELD). */
    readonly reason = 'OPERATION_NOT_ALLOWED',
    readonly caller?: RefusedCaller,
  ) {
    super(message);
  }
}

export class UnauthenticatedError extends DomainError {
  readonly code = 'UNAUTHENTICATED';
  constructor(
    message: string,
    /** The rule that refused, as a code for the audit trail (e.g. TOKEN_EXPIRED). */
    readonly reason = 'TOKEN_INVALID',
  ) {
    super(message);
  }
}

const HTTP_STATUS: Record<DomainError['code'], number | undefined> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  BAD_USER_INPUT: undefined,
  NOT_FOUND: undefined,
  CONFLICT: undefined,
};

/** The request-level form (context creation): carries the HTTP status Apollo Server should answer with. */
export function requestError(error: UnauthenticatedError | ForbiddenError): GraphQLError {
  return new PublicError(error.message, {
    extensions: { code: error.code, http: { status: HTTP_STATUS[error.code] } },
  });
}

export function toGraphQLError(error: DomainError): GraphQLError {
  return new PublicError(error.message, { extensions: { code: error.code, ...error.extensions } });
}

/**
 * Codes whose messages are ours and safe to show; everything else becomes a generic internal error. The
 * gateway passes subgraph errors on by the same list.
 */
export const PUBLIC_CODES: ReadonlySet<string> = new Set([
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'BAD_USER_INPUT',
  'NOT_FOUND',
  'CONFLICT',
  'RATE_LIMITED',
  'QUERY_TOO_DEEP',
  'TOO_MANY_ALIASES',
  'TOO_MANY_TOKENS',
  'QUERY_TOO_COSTLY',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
  'AUDIT_UNAVAILABLE',
]);
