import { knownRoles, mayDeclarePurpose, type Purpose, type Role } from '@custos/policy';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
  errors as joseErrors,
  jwtVerify,
} from 'jose';
import { ForbiddenError, UnauthenticatedError } from '../shared/errors.js';

/** Who is calling, and why (the declared purpose, already checked against the caller's roles). */
export interface Principal {
  readonly sub: string;
  readonly roles: readonly Role[];
  readonly purpose: Purpose;
}

export interface VerifierOptions {
  readonly issuer: string;
  readonly audience: string;
  /** Remote JWKS (production) or a local key set (development). */
  readonly jwksUrl?: string;
  readonly localJwks?: JSONWebKeySet;
}

/** Asymmetric algorithms only: `none` and HMAC (the "HS256 signed with the public key" attack) never verify. */
const ALGORITHMS = ['ES256', 'RS256'];
const CLOCK_TOLERANCE_SECONDS = 5;

export type TokenVerifier = (
  authorization: string | undefined,
  purposeHeader: string | undefined,
) => Promise<Principal>;

export function createTokenVerifier(options: VerifierOptions): TokenVerifier {
  let keys: JWTVerifyGetKey;
  if (options.jwksUrl) keys = createRemoteJWKSet(new URL(options.jwksUrl), { cooldownDuration: 30_000 });
  else if (options.localJwks) keys = createLocalJWKSet(options.localJwks);
  else throw new Error('a token verifier needs a JWKS URL or a local key set');

  return async (authorization, purposeHeader) => {
    const match = authorization
      ? /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/.exec(authorization.trim())
      : null;
    if (!match?.[1]) {
      throw new UnauthenticatedError(
        authorization ? 'Authorization header must be "Bearer <JWT>"' : 'Authorization header is required',
      );
    }
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(match[1], keys, {
        issuer: options.issuer,
        audience: options.audience,
        algorithms: ALGORITHMS,
        requiredClaims: ['sub', 'exp'],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
      }));
    } catch (error) {
      throw new UnauthenticatedError(describeJoseError(error));
    }
    const sub = payload.sub;
    if (typeof sub !== 'string' || sub.length === 0 || sub.length > 200) {
      throw new UnauthenticatedError('token subject (sub) must be a non-empty string');
    }
    if (!Array.isArray(payload.roles))
      throw new UnauthenticatedError('token roles claim must be an array of strings');
    const roles = knownRoles(payload.roles);
    const decision = mayDeclarePurpose(roles, purposeHeader);
    if (!decision.allowed) {
      const messages = {
        PURPOSE_MISSING: 'X-Purpose header is required',
        PURPOSE_UNKNOWN: 'X-Purpose is not a known purpose',
        PURPOSE_NOT_HELD: 'X-Purpose is not a purpose your roles may declare',
      } as const;
      throw new ForbiddenError(messages[decision.reason]);
    }
    return { sub, roles, purpose: decision.purpose };
  };
}

/** A short reason for the 401, naming the rule that failed; never the token or its claims' values. */
function describeJoseError(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'token has expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf') return 'token is not valid yet';
    if (error.claim === 'iss') return 'token issuer is not accepted';
    if (error.claim === 'aud') return 'token audience is not accepted';
    return `token claim ${error.claim} is missing or invalid`;
  }
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'token algorithm is not accepted';
  if (error instanceof joseErrors.JWKSNoMatchingKey) return 'token signing key is not known';
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'token signature is invalid';
  if (error instanceof joseErrors.JWKSTimeout || error instanceof joseErrors.JOSEError === false) {
    return 'token could not be verified';
  }
  return 'token is malformed or could not be verified';
}
