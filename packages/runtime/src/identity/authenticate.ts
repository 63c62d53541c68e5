import type { IncomingMessage } from 'node:http';
import { unrestrictedPurpose } from '@custos/policy';
import type { JSONWebKeySet } from 'jose';
import type { Config } from '../config.js';
import { ForbiddenError, requestError, UnauthenticatedError } from '../errors.js';
import { header } from '../http.js';
import { createTokenVerifier, type Principal } from './verify.js';

/** What the HTTP layer knows of a refused request (its ids join the audit event to the request log). */
export interface RefusedRequest {
  readonly id: string;
  readonly upstreamId?: string;
}

/** Where refusals go (the audit trail's RefusalLog, packages/audit). */
export interface RefusalSink {
  record(req: IncomingMessage, error: UnauthenticatedError | ForbiddenError, request?: RefusedRequest): void;
}

/** `request`: the ids the HTTP layer gave the request, for the audit event of a refusal. */
export type Authenticator = (req: IncomingMessage, request?: RefusedRequest) => Promise<Principal>;

/**
 * The caller of a request: a verified token and a purpose its roles may declare, or a request-level
 * UNAUTHENTICATED (401) / FORBIDDEN (403) error. Shared by every Custos subgraph (apps/tickets too).
 */
export function createAuthenticator(options: {
  readonly config: Pick<Config, 'auth' | 'policyAllowAll'>;
  readonly devJwks?: JSONWebKeySet | undefined;
  /** Where refusals are audited (aggregated); none when auditing is off. */
  readonly refusals?: RefusalSink | undefined;
}): Authenticator {
  const { config } = options;
  const verify = createTokenVerifier({
    issuer: config.auth.issuer,
    audience: config.auth.audience,
    rolesClaim: config.auth.rolesClaim,
    ...(config.auth.jwksUrl ? { jwksUrl: config.auth.jwksUrl } : {}),
    ...(options.devJwks && !config.auth.jwksUrl ? { localJwks: options.devJwks } : {}),
  });
  const allowAllPurpose = config.policyAllowAll ? unrestrictedPurpose() : undefined;
  if (config.policyAllowAll && !allowAllPurpose) {
    throw new Error('CUSTOS_POLICY_ALLOW_ALL needs a purpose that sees everything, and the policy has none');
  }
  return async (req, request) => {
    try {
      const verified = await verify(header(req, 'authorization'), header(req, 'x-purpose'));
      // Benchmarks only (refused in production by config): the policy replaced by allow-all.
      return allowAllPurpose ? { ...verified, purpose: allowAllPurpose } : verified;
    } catch (error) {
      if (error instanceof UnauthenticatedError || error instanceof ForbiddenError) {
        options.refusals?.record(req, error, request);
        throw requestError(error);
      }
      throw error;
    }
  };
}
