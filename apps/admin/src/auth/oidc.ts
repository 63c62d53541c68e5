import { OidcClient, UserManager, type UserManagerSettings, WebStorageStateStore } from 'oidc-client-ts';
import type { OidcAuthConfig } from '../config';
import { decodeToken, peekSessionStatus, type Session, setRolesClaim, startSession } from './session';

/**
 * OpenID Connect sign-in: authorization code with PKCE (oidc-client-ts), the provider and client from config.json.
 * The provider sends the browser back to CALLBACK_PATH (a path, not a hash route: main.tsx completes the sign-in
 * there before the console renders); SILENT_PATH is the silent renew's page, in a hidden frame. Every other page
 * of the console resumes the session's renewal at boot (resumeSession), so that a reload does not end it.
 *
 * The roles come from the access token, the token every request carries and the gateway verifies, in the claim
 * the gateway reads (AUTH_ROLES_CLAIM): never from the ID token, which the gateway never sees — roles read from it
 * could open screens the API then refuses, or hide ones it allows.
 */
export const CALLBACK_PATH = '/auth/callback';
export const SILENT_PATH = '/auth/silent';

/** A sign-in that reached the provider and back but cannot open a session: an i18n key and its arguments. */
export class SignInError extends Error {
  constructor(
    readonly key: string,
    readonly args: Readonly<Record<string, string>>,
  ) {
    super(key);
    this.name = 'SignInError';
  }
}

/** The provider's name on the sign-in button: its host, which is what the staff member sees in the address bar. */
export function providerName(config: OidcAuthConfig): string {
  return new URL(config.issuer).host;
}

export function oidcSettings(config: OidcAuthConfig, origin: string): UserManagerSettings {
  return {
    authority: config.issuer,
    client_id: config.clientId,
    redirect_uri: `${origin}${CALLBACK_PATH}`,
    silent_redirect_uri: `${origin}${SILENT_PATH}`,
    post_logout_redirect_uri: `${origin}/`,
    response_type: 'code',
    scope: config.scope ?? 'openid',
    // The library's user (the tokens, their expiry, any refresh token), the PKCE verifier and the state live in
    // this tab's sessionStorage, like the session module's access token: they survive a reload of the tab, so its
    // renewal goes on, but not the tab itself, and other tabs and later visits never see them (never
    // localStorage).
    userStore: new WebStorageStateStore({ store: window.sessionStorage }),
    stateStore: new WebStorageStateStore({ store: window.sessionStorage }),
    // Renewed a minute before expiry: with the refresh token when the provider gave one, else in a hidden frame.
    // Started by the console itself (startRenewal), in the tab's window only: never in the silent renew's frame,
    // and never for a stored user whose session has ended.
    automaticSilentRenew: false,
    loadUserInfo: false,
  };
}

/**
 * The session an access token opens, with its roles from `rolesClaim`; a SignInError when the token is no JWT
 * (an opaque token: the console cannot read roles, and the gateway cannot verify it either) or names no role
 * Custos knows there.
 */
export function sessionFromAccessToken(
  accessToken: string,
  rolesClaim: string,
  expiresAtSeconds: number | undefined,
): Session {
  setRolesClaim(rolesClaim);
  let session: Session;
  try {
    session = decodeToken(accessToken, expiresAtSeconds === undefined ? undefined : expiresAtSeconds * 1000);
  } catch {
    throw new SignInError('custos.auth.oidc_token_unreadable', {});
  }
  if (session.roles.length === 0) throw new SignInError('custos.auth.oidc_no_roles', { claim: rolesClaim });
  return session;
}

/** Starts the session an access token opens (sessionFromAccessToken's checks first). */
export function startOidcSession(
  accessToken: string,
  rolesClaim: string,
  expiresAtSeconds: number | undefined,
): Session {
  const session = sessionFromAccessToken(accessToken, rolesClaim, expiresAtSeconds);
  return startSession(session.token, session.expiresAt);
}

let manager: { readonly config: OidcAuthConfig; readonly users: UserManager } | undefined;

/** The tab's one UserManager for `config` (its silent renew and events live as long as the page). */
export function userManager(config: OidcAuthConfig): UserManager {
  if (manager?.config !== config) {
    const users = new UserManager(oidcSettings(config, window.location.origin));
    // A renewed token replaces the session's; one without roles ends it (the next request would be refused).
    users.events.addUserLoaded((user) => {
      try {
        startOidcSession(user.access_token, config.rolesClaim, user.expires_at);
      } catch {
        void users.removeUser();
      }
    });
    manager = { config, users };
  }
  return manager.users;
}

/**
 * Renews the session's access token a minute before each expiry, from now on, for as long as the page lives:
 * after a sign-in, and at boot for a session that survived a reload (its user comes back from sessionStorage).
 */
function startRenewal(config: OidcAuthConfig): void {
  userManager(config).startSilentRenew();
}

/**
 * At boot, on any page of the console but the provider's callback and the silent renew's frame: a session that
 * survived a reload of the tab goes on being renewed before it expires; a stored user whose session has ended (signed
 * out, expired, refused) is dropped, so that nothing renews it.
 */
export async function resumeSession(config: OidcAuthConfig): Promise<void> {
  // The session's roles are read from the provider's claim: set before the stored token is read.
  setRolesClaim(config.rolesClaim);
  // Looked at, not ended: an expired session is still the sign-in page's to announce.
  if (peekSessionStatus() === 'active') {
    startRenewal(config);
    return;
  }
  await userManager(config)
    .removeUser()
    .catch(() => {});
}

/** Where the provider ends its session, when it has such an endpoint (RP-initiated logout), else undefined. */
export function endSessionEndpoint(config: OidcAuthConfig): Promise<string | undefined> {
  const client = new OidcClient(oidcSettings(config, window.location.origin));
  return client.metadataService.getEndSessionEndpoint().catch(() => undefined);
}

/** What the sign-in page says after the provider sent the browser back without a usable session. */
let lastError: SignInError | undefined;

export function takeSignInError(): SignInError | undefined {
  const error = lastError;
  lastError = undefined;
  return error;
}

/**
 * The provider's redirect back (CALLBACK_PATH): exchanges the code (with the PKCE verifier) for tokens and starts
 * the session, or keeps why not for the sign-in page. Then leaves the callback URL (its code is spent) for the
 * console's home, or its sign-in page.
 */
export async function completeSignIn(config: OidcAuthConfig): Promise<void> {
  let home = '/#/';
  try {
    const user = await userManager(config).signinRedirectCallback();
    startOidcSession(user.access_token, config.rolesClaim, user.expires_at);
    startRenewal(config);
  } catch (error) {
    lastError =
      error instanceof SignInError
        ? error
        : new SignInError('custos.auth.failed', {
            reason: error instanceof Error ? error.message : String(error),
          });
    await userManager(config)
      .removeUser()
      .catch(() => {});
    home = '/#/login';
  }
  window.history.replaceState(null, '', home);
}

/** The silent renew's frame (SILENT_PATH): hands the provider's answer to the console in the parent window. */
export function completeSilentRenew(config: OidcAuthConfig): Promise<void> {
  return userManager(config).signinSilentCallback();
}
