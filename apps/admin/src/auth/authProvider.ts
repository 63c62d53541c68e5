import { type Purpose, purposesForRoles, type Role } from '@custos/policy';
import type { AuthProvider } from 'react-admin';
import type { AuthConfig, OidcAuthConfig } from '../config';
import { mayAccess } from './access';
import { endSessionEndpoint, userManager } from './oidc';
import {
  activeSession,
  currentPurpose,
  endSession,
  parseExpiresAt,
  sessionState,
  setRolesClaim,
  startSession,
} from './session';

/** What `usePermissions` answers: the roles of the token and the purposes they hold. */
export interface Permissions {
  readonly roles: readonly Role[];
  readonly purposes: readonly Purpose[];
}

/** The development sign-in's parameters (LoginPage). */
export interface DevSignIn {
  readonly sub: string;
  readonly role: Role;
}

export interface AuthProviderOptions {
  readonly fetch?: typeof fetch;
  /** Where development tokens come from (the gateway routes it to the subgraph in development only). */
  readonly devTokenUrl?: string;
  /** config.json's sign-in: development unless told. */
  readonly auth?: AuthConfig;
}

async function signInMessage(response: Response): Promise<string> {
  try {
    const body = (await response.json()) as { errors?: { message?: unknown }[]; message?: unknown };
    const message = body.errors?.[0]?.message ?? body.message;
    if (typeof message === 'string' && message !== '') return message;
  } catch {
    // not JSON: the status says enough
  }
  return `HTTP ${response.status}`;
}

/**
 * What both sign-ins share: the session (session.ts), its expiry, the identity and permissions it gives, and
 * access from the policy for the declared purpose.
 */
const sessionMethods = {
  async checkAuth() {
    const state = sessionState();
    if (state.status === 'active') return;
    // A first visit goes to the sign-in page quietly; an expired session says why.
    throw { message: state.status === 'expired' ? 'custos.auth.expired' : false };
  },
  async checkError(error: { status?: number }) {
    if (error?.status === 401) {
      endSession();
      throw { message: 'custos.auth.expired' };
    }
    // 403 and the rest are refusals of one request, shown as notifications: the session goes on.
  },
  async getIdentity() {
    const session = activeSession();
    if (!session) throw new Error('not signed in');
    return { id: session.sub, fullName: session.sub };
  },
  async getPermissions(): Promise<Permissions> {
    const session = activeSession();
    if (!session) return { roles: [], purposes: [] };
    return { roles: session.roles, purposes: purposesForRoles(session.roles) };
  },
  async canAccess({ action, resource }: { action: string; resource: string }) {
    return mayAccess(currentPurpose(), action, resource);
  },
} satisfies Partial<AuthProvider>;

/** Development: a token for a chosen role from the development-only endpoint (LoginPage). */
function createDevAuthProvider(options: AuthProviderOptions): AuthProvider {
  const request = options.fetch ?? ((input, init) => fetch(input, init));
  const devTokenUrl = options.devTokenUrl ?? '/dev/token';
  setRolesClaim('roles');
  return {
    ...sessionMethods,
    async login({ sub, role }: DevSignIn) {
      const response = await request(devTokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ sub, roles: [role] }),
      });
      if (!response.ok) throw new Error(await signInMessage(response));
      const body = (await response.json()) as { token?: unknown; expiresAt?: unknown };
      if (typeof body.token !== 'string') throw new Error('the token endpoint answered without a token');
      startSession(body.token, parseExpiresAt(body.expiresAt));
    },
    async logout() {
      endSession();
    },
  };
}

/**
 * OpenID Connect (oidc.ts): `login` sends the browser to the provider (main.tsx completes the sign-in on its way
 * back); `logout` ends the session here and, when the staff member signs out of a live session and the provider
 * has an end_session_endpoint, there too (an expired or refused session ends here only: no trip to the provider).
 */
function createOidcAuthProvider(config: OidcAuthConfig): AuthProvider {
  setRolesClaim(config.rolesClaim);
  return {
    ...sessionMethods,
    async login() {
      await userManager(config).signinRedirect();
    },
    async logout() {
      const live = sessionState().status === 'active';
      endSession();
      const users = userManager(config);
      const user = await users.getUser().catch(() => null);
      await users.removeUser().catch(() => {});
      if (!live || !(await endSessionEndpoint(config))) return undefined;
      // The page leaves for the provider: react-admin must not redirect meanwhile.
      await users.signoutRedirect(user?.id_token ? { id_token_hint: user.id_token } : {});
      return false;
    },
  };
}

/** The console's auth provider, for the configured sign-in (config.json's `auth`; development unless told). */
export function createAuthProvider(options: AuthProviderOptions = {}): AuthProvider {
  const auth = options.auth ?? { mode: 'development' };
  return auth.mode === 'oidc' ? createOidcAuthProvider(auth) : createDevAuthProvider(options);
}
