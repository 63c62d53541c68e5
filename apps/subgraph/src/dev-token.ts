import { AuditUnavailable, type AuditWriter } from '@custos/audit';
import { isRole, ROLES, type Role } from '@custos/policy';
import {
  type DevKeys,
  errorBody,
  header,
  type Logger,
  sendJson,
  signDevToken,
  ValidationError,
  Validator,
} from '@custos/runtime';
import { badInput, methodNotAllowed, type RouteHandler, readJsonObject } from './routes.js';

/** `{ sub, roles }` is a few dozen bytes: anything near this is not a sign-in. */
const MAX_BODY = 4096;
const SUB_MAX = 100;
/** Letters, digits and `. _ @ -`: an id, never text (no spaces, no control characters, nothing to escape). */
const SUB_PATTERN = /^[A-Za-z0-9._@-]+$/;
/** The path the route is served at (the gateway passes it through in development). */
export const DEV_TOKEN_PATH = '/dev/token';

export interface DevTokenRouteOptions {
  /** The development signing key (`<dataDir>/keys`), whose public half the subgraph serves as its JWKS. */
  readonly keys: DevKeys;
  /** DEV_TOKEN_TTL_SECONDS (default one hour). */
  readonly ttlSeconds: number;
  readonly logger: Logger;
  /** The audit trail (undefined when it is off: benchmarks only). */
  readonly audit: AuditWriter | undefined;
}

/** The token's subject and roles, or every problem by field and rule (never the submitted value). */
function readInput(body: Record<string, unknown>): { sub: string; roles: Role[] } {
  const v = new Validator();
  const { sub, roles } = body;
  if (typeof sub !== 'string' || sub.length === 0)
    v.fail('sub', 'required', 'is required (a non-empty string)');
  else if (sub.length > SUB_MAX) v.fail('sub', 'max_length', `must be at most ${SUB_MAX} characters`);
  else if (!SUB_PATTERN.test(sub)) v.fail('sub', 'pattern', 'may hold only letters, digits and . _ @ -');
  if (!Array.isArray(roles) || roles.length === 0) {
    v.fail('roles', 'required', 'must be a non-empty array of roles');
  } else if (!roles.every(isRole)) {
    v.fail('roles', 'one_of', `each must be one of ${ROLES.join(', ')}`);
  }
  v.done();
  return { sub: sub as string, roles: [...new Set(roles as Role[])] };
}

/**
 * `POST /dev/token` (development only: createApp leaves the route out in production, and the gateway passes it
 * through only outside production): `{ sub, roles }` → `{ token, expiresAt }`, a token signed with the development
 * key, as `npm run token` makes them, for the console's development sign-in page. Anyone who can reach it can be
 * anyone: issuing a token is a security event, logged (subject and roles, never the token) and audited as the
 * subject's `devToken` operation — the answer waits for the audit trail to accept the event, and is refused
 * (503) rather than given unaudited.
 */
export function devTokenRoute(options: DevTokenRouteOptions): RouteHandler {
  return async (req, res) => {
    if (req.method !== 'POST') return methodNotAllowed(res, 'POST');
    // JSON only: a cross-site page cannot send it without a CORS preflight, which nothing here answers.
    if (!/^application\/json\s*(;|$)/i.test(header(req, 'content-type') ?? '')) {
      sendJson(res, 415, errorBody('Send the body as application/json', 'UNSUPPORTED_MEDIA_TYPE'));
      return 415;
    }
    const body = await readJsonObject(req, res, MAX_BODY);
    if (typeof body === 'number') return body;
    let input: { sub: string; roles: Role[] };
    try {
      input = readInput(body);
    } catch (error) {
      if (error instanceof ValidationError) return badInput(res, error);
      throw error;
    }
    const now = new Date();
    const requestId = String(res.getHeader('x-request-id') ?? '');
    try {
      await options.audit?.submit({
        occurredAt: now,
        actorSub: input.sub,
        actorRoles: input.roles,
        purpose: null,
        operationType: 'public',
        operationName: 'devToken',
        rootFields: [DEV_TOKEN_PATH],
        requestId,
        gatewayRequestId: null,
        outcome: 'OK',
        subjects: new Map(),
      });
    } catch (error) {
      if (!(error instanceof AuditUnavailable)) throw error;
      options.logger.error({ requestId }, 'audit trail unavailable: development token withheld');
      sendJson(
        res,
        503,
        errorBody(
          'The audit trail cannot record this now; no token was issued. Try again shortly.',
          'AUDIT_UNAVAILABLE',
        ),
      );
      return 503;
    }
    const token = await signDevToken(options.keys, { ...input, ttlSeconds: options.ttlSeconds, now });
    const expiresAt = new Date((Math.floor(now.getTime() / 1000) + options.ttlSeconds) * 1000).toISOString();
    options.logger.info(
      { requestId, sub: input.sub, roles: input.roles, expiresAt },
      'development token issued',
    );
    sendJson(res, 200, { token, expiresAt });
    return 200;
  };
}
