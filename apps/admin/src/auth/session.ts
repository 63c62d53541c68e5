import { knownRoles, type Purpose, purposesForRoles, type Role } from '@custos/policy';

/**
 * The signed-in staff member: a JWT held in memory and in sessionStorage (it survives a reload of the tab but
 * not the tab itself, and other tabs and sites never see it — never localStorage). Its roles and subject are read
 * from the token without verifying it: the gateway verifies every request, the console only shows what follows.
 */
export interface Session {
  readonly token: string;
  readonly sub: string;
  readonly roles: readonly Role[];
  /** Milliseconds since the epoch. */
  readonly expiresAt: number;
}

const SESSION_KEY = 'custos.session';
const PURPOSE_KEY = 'custos.purpose';

let current: Session | null = null;
/** The claim the roles are read from: `roles` (development tokens), or config.json's `rolesClaim` (OIDC). */
let rolesClaim = 'roles';

/** Reads the roles from `claim` in every token from now on (the provider's, as the gateway reads them). */
export function setRolesClaim(claim: string): void {
  rolesClaim = claim;
}

function base64UrlDecode(part: string): string {
  const base64 = part
    .replace(/-/g, '+')
    .replace(/_/g, '/')
    .padEnd(Math.ceil(part.length / 4) * 4, '=');
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}

/** The session a token opens; throws when it is no JWT with a subject. `fallbackExpiresAt` when it has no `exp`. */
export function decodeToken(token: string, fallbackExpiresAt?: number): Session {
  const payloadPart = token.split('.')[1];
  if (!payloadPart) throw new Error('the token is not a JWT');
  const payload = JSON.parse(base64UrlDecode(payloadPart)) as Record<string, unknown>;
  if (typeof payload.sub !== 'string' || payload.sub === '') throw new Error('the token names no subject');
  const expiresAt = typeof payload.exp === 'number' ? payload.exp * 1000 : fallbackExpiresAt;
  if (expiresAt === undefined || !Number.isFinite(expiresAt)) throw new Error('the token has no expiry');
  const claimed = Object.hasOwn(payload, rolesClaim) ? payload[rolesClaim] : undefined;
  const roles = Array.isArray(claimed) ? knownRoles(claimed) : [];
  return { token, sub: payload.sub, roles, expiresAt };
}

/** `expiresAt` as the token endpoint may give it: an ISO instant, or seconds or milliseconds since the epoch. */
export function parseExpiresAt(value: unknown): number | undefined {
  if (typeof value === 'number') return value < 1e12 ? value * 1000 : value;
  if (typeof value === 'string') {
    const time = Date.parse(value);
    return Number.isNaN(time) ? undefined : time;
  }
  return undefined;
}

export function startSession(token: string, expiresAt?: number): Session {
  const session = decodeToken(token, expiresAt);
  current = session;
  sessionStorage.setItem(SESSION_KEY, token);
  const held = purposesForRoles(session.roles);
  const chosen = sessionStorage.getItem(PURPOSE_KEY);
  if (!chosen || !(held as string[]).includes(chosen)) sessionStorage.removeItem(PURPOSE_KEY);
  return session;
}

export function endSession(): void {
  current = null;
  sessionStorage.removeItem(SESSION_KEY);
  sessionStorage.removeItem(PURPOSE_KEY);
}

export type SessionState =
  | { readonly status: 'active'; readonly session: Session }
  | { readonly status: 'none' | 'expired' };

/** The session, if signed in and its token not yet expired; an expired one is ended. */
export function sessionState(now = Date.now()): SessionState {
  if (!current) {
    const stored = sessionStorage.getItem(SESSION_KEY);
    if (!stored) return { status: 'none' };
    try {
      current = decodeToken(stored);
    } catch {
      endSession();
      return { status: 'none' };
    }
  }
  if (current.expiresAt <= now) {
    endSession();
    return { status: 'expired' };
  }
  return { status: 'active', session: current };
}

/**
 * The session's status as it stands, without changing it: unlike sessionState, an expired session is not ended
 * here (the sign-in page is still told it expired), and nothing is kept (the roles claim may not be set yet).
 */
export function peekSessionStatus(now = Date.now()): SessionState['status'] {
  const token = current?.token ?? sessionStorage.getItem(SESSION_KEY);
  if (!token) return 'none';
  try {
    return decodeToken(token).expiresAt > now ? 'active' : 'expired';
  } catch {
    return 'none';
  }
}

export function activeSession(now = Date.now()): Session | null {
  const state = sessionState(now);
  return state.status === 'active' ? state.session : null;
}

/** The purposes the signed-in roles hold, in policy order. */
export function heldPurposes(): Purpose[] {
  const session = activeSession();
  return session ? purposesForRoles(session.roles) : [];
}

/** The declared purpose: the one chosen in this session if the roles hold it, else the first they hold. */
export function currentPurpose(): Purpose | undefined {
  const held = heldPurposes();
  const chosen = sessionStorage.getItem(PURPOSE_KEY);
  return held.find((purpose) => purpose === chosen) ?? held[0];
}

/** Declares `purpose` for the requests that follow; refuses one the roles do not hold. */
export function choosePurpose(purpose: string): Purpose {
  const held = heldPurposes().find((p) => p === purpose);
  if (!held) throw new Error('that purpose is not held by your roles');
  sessionStorage.setItem(PURPOSE_KEY, held);
  return held;
}
