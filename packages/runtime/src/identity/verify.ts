import { knownRoles, mayDeclarePurpose, type Purpose, type Role } from '@custos/policy';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
  errors as joseErrors,
  jwtVerify,
} from 'jose';
import { DEFAULT_ROLES_CLAIM } from '../config.js';
import { ForbiddenError, UnauthenticatedError } from '../errors.js';

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
  /** The claim holding the roles (AUTH_ROLES_CLAIM); `roles` unless told. */
  readonly rolesClaim?: string;
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

  const cache = new VerifiedTokenCache();
  const rolesClaim = options.rolesClaim ?? DEFAULT_ROLES_CLAIM;

  return async (authorization, purposeHeader) => {
    const match = authorization
      ? /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/.exec(authorization.trim())
      : null;
    if (!match?.[1]) {
      throw authorization
        ? new UnauthenticatedError('Authorization header must be "Bearer <JWT>"', 'TOKEN_MALFORMED')
        : new UnauthenticatedError('Authorization header is required', 'TOKEN_MISSING');
    }
    const token = match[1];
    let payload = cache.get(token);
    if (!payload) {
      try {
        ({ payload } = await jwtVerify(token, keys, {
          issuer: options.issuer,
          audience: options.audience,
          algorithms: ALGORITHMS,
          requiredClaims: ['sub', 'exp'],
          clockTolerance: CLOCK_TOLERANCE_SECONDS,
        }));
      } catch (error) {
        const { message, reason } = describeJoseError(error);
        throw new UnauthenticatedError(message, reason);
      }
      cache.set(token, payload);
    }
    const sub = payload.sub;
    if (typeof sub !== 'string' || sub.length === 0 || sub.length > 200) {
      throw new UnauthenticatedError('token subject (sub) must be a non-empty string', 'TOKEN_SUBJECT');
    }
    // An own property only: a claim named like an Object.prototype member is absent, not inherited.
    const claimed = Object.hasOwn(payload, rolesClaim) ? payload[rolesClaim] : undefined;
    if (!Array.isArray(claimed))
      throw new UnauthenticatedError('token roles claim must be an array of strings', 'TOKEN_ROLES');
    const roles = knownRoles(claimed);
    const decision = mayDeclarePurpose(roles, purposeHeader);
    if (!decision.allowed) {
      const messages = {
        PURPOSE_MISSING: 'X-Purpose header is required',
        PURPOSE_UNKNOWN: 'X-Purpose is not a known purpose',
        PURPOSE_NOT_HELD: 'X-Purpose is not a purpose your roles may declare',
      } as const;
      throw new ForbiddenError(messages[decision.reason], decision.reason, {
        sub,
        roles,
        purpose: decision.reason === 'PURPOSE_NOT_HELD' ? (purposeHeader ?? null) : null,
      });
    }
    return { sub, roles, purpose: decision.purpose };
  };
}

/**
 * Verified tokens, by their exact text (signature included, so an entry cannot be forged), kept for at most
 * a minute and never past their own `exp`. Signature verification is a tenth of a request's CPU; a client
 * sends the same token many times. The short cap bounds how long a key withdrawn from the JWKS still counts.
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, { payload: JWTPayload; until: number }>();
  constructor(
    private readonly maxEntries = 10_000,
    private readonly maxAgeMs = 60_000,
  ) {}

  get(token: string): JWTPayload | undefined {
    const entry = this.entries.get(token);
    if (!entry) return undefined;
    if (Date.now() >= entry.until) {
      this.entries.delete(token);
      return undefined;
    }
    return entry.payload;
  }

  set(token: string, payload: JWTPayload): void {
    const expMs = typeof payload.exp === 'number' ? payload.exp * 1000 : 0;
    const until = Math.min(expMs, Date.now() + this.maxAgeMs);
    if (until <= Date.now()) return;
    // Oldest first out: a Map iterates in insertion order.
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(token, { payload, until });
  }
}

/**
 * A short reason for the 401, naming the rule that failed, and its code for the audit trail; never the token or
 * its claims' values.
 */
function describeJoseError(error: unknown): { message: string; reason: string } {
  const said = (message: string, reason: string) => ({ message, reason });
  if (error instanceof joseErrors.JWTExpired) return said('token has expired', 'TOKEN_EXPIRED');
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf') return said('token is not valid yet', 'TOKEN_NOT_YET_VALID');
    if (error.claim === 'iss') return said('token issuer is not accepted', 'TOKEN_ISSUER');
    if (error.claim === 'aud') return said('token audience is not accepted', 'TOKEN_AUDIENCE');
    return said(`token claim ${error.claim} is missing or invalid`, 'TOKEN_CLAIM');
  }
  if (error instanceof joseErrors.JOSEAlgNotAllowed)
    return said('token algorithm is not accepted', 'TOKEN_ALGORITHM');
  if (error instanceof joseErrors.JWKSNoMatchingKey)
    return said('token signing key is not known', 'TOKEN_KEY_UNKNOWN');
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) {
    return said('token signature is invalid', 'TOKEN_SIGNATURE');
  }
  return said('token is malformed or could not be verified', 'TOKEN_INVALID');
}
