import { ROLE_PURPOSES } from '@custos/policy';
import { render, screen } from '@testing-library/react';
import { UserManager } from 'oidc-client-ts';
import { AdminContext } from 'react-admin';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createAuthProvider } from '../src/auth/authProvider';
import { OidcLoginPage } from '../src/auth/OidcLoginPage';
import {
  CALLBACK_PATH,
  oidcSettings,
  resumeSession,
  SignInError,
  sessionFromAccessToken,
  startOidcSession,
  userManager,
} from '../src/auth/oidc';
import { activeSession, setRolesClaim } from '../src/auth/session';
import { ConfigErrorPage } from '../src/ConfigErrorPage';
import { ConfigLoadError, loadConsoleConfig, type OidcAuthConfig, parseConsoleConfig } from '../src/config';
import { i18nProvider } from '../src/i18n';
import { en } from '../src/i18n/en';
import { fakeToken, json, recordingFetch } from './support';

const CLAIM = 'https://custos.example/roles';
const OIDC: OidcAuthConfig = {
  mode: 'oidc',
  issuer: 'https://login.example.com/tenant',
  clientId: 'custos-console',
  rolesClaim: CLAIM,
};
const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('config.json', () => {
  it('is fetched from the console’s own origin, never cached, and gives the sign-in it names', async () => {
    const { fetch, calls } = recordingFetch([
      () => json({ auth: { ...OIDC, scope: 'openid offline_access' } }),
    ]);
    expect(await loadConsoleConfig(fetch)).toEqual({ auth: { ...OIDC, scope: 'openid offline_access' } });
    expect(calls[0]?.url).toBe('/config.json');
    expect(calls[0]?.init.cache).toBe('no-store');
    const dev = recordingFetch([() => json({ auth: { mode: 'development', extra: 'ignored' } })]);
    expect(await loadConsoleConfig(dev.fetch)).toEqual({ auth: { mode: 'development' } });
  });

  it('fails with what is wrong when it is missing, unreachable, not JSON or incomplete', async () => {
    const failing = async (answer: () => Response) => {
      try {
        await loadConsoleConfig(recordingFetch([answer]).fetch);
      } catch (error) {
        return error instanceof ConfigLoadError ? { key: error.key, detail: error.detail } : error;
      }
      return 'loaded';
    };
    expect(await failing(() => new Response('not found', { status: 404 }))).toEqual({
      key: 'unreachable',
      detail: '/config.json (HTTP 404)',
    });
    expect(
      await failing(() => {
        throw new TypeError('network down');
      }),
    ).toEqual({ key: 'unreachable', detail: '/config.json' });
    expect(await failing(() => new Response('<!doctype html>', { status: 200 }))).toEqual({
      key: 'invalid',
      detail: '/config.json',
    });
    const invalid = (value: unknown) => {
      try {
        parseConsoleConfig(value);
        return 'valid';
      } catch (error) {
        return (error as ConfigLoadError).detail;
      }
    };
    expect(invalid(null)).toBe('config.json');
    expect(invalid({})).toBe('auth');
    expect(invalid({ auth: { mode: 'saml' } })).toBe('auth.mode');
    expect(invalid({ auth: { ...OIDC, issuer: 'javascript:alert(1)' } })).toBe('auth.issuer');
    expect(invalid({ auth: { ...OIDC, clientId: ' ' } })).toBe('auth.clientId');
    expect(invalid({ auth: { ...OIDC, rolesClaim: undefined } })).toBe('auth.rolesClaim');
    expect(invalid({ auth: { ...OIDC, scope: 'profile' } })).toBe('auth.scope');
  });
});

describe('the page shown without a usable config.json', () => {
  it('says what could not be loaded and who must fix it, instead of a blank page', () => {
    render(<ConfigErrorPage error={new ConfigLoadError('unreachable', '/config.json (HTTP 404)')} />);
    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe(en.custos.config.title);
    expect(screen.getByRole('alert').textContent).toBe(
      en.custos.config.unreachable.replace('%{detail}', '/config.json (HTTP 404)'),
    );
    expect(screen.getByText(en.custos.config.help)).toBeDefined();
  });

  it('names the field that is wrong', () => {
    render(<ConfigErrorPage error={new ConfigLoadError('invalid', 'auth.issuer')} />);
    expect(screen.getByRole('alert').textContent).toBe(
      en.custos.config.invalid.replace('%{detail}', 'auth.issuer'),
    );
  });
});

describe('the OpenID Connect session', () => {
  it('reads the roles from the configured claim of the access token only', () => {
    const token = fakeToken({ sub: 'alice', [CLAIM]: ['privacy_officer', 'unknown_role'], exp: inAnHour() });
    expect(sessionFromAccessToken(token, CLAIM, undefined)).toMatchObject({
      sub: 'alice',
      roles: ['privacy_officer'],
    });
    // `roles` is not the configured claim: no role, refused with the claim's name.
    const plain = fakeToken({ sub: 'alice', roles: ['admin'] });
    const refusal = (() => {
      try {
        sessionFromAccessToken(plain, CLAIM, undefined);
      } catch (error) {
        return error;
      }
    })();
    expect(refusal).toBeInstanceOf(SignInError);
    expect(refusal).toMatchObject({ key: 'custos.auth.oidc_no_roles', args: { claim: CLAIM } });
    expect(i18nProvider.translate('custos.auth.oidc_no_roles', { claim: CLAIM })).toContain(`“${CLAIM}”`);
    // An opaque access token: nothing to read the roles from.
    expect(() => sessionFromAccessToken('opaque-reference-token', CLAIM, inAnHour())).toThrow(SignInError);
    expect(sessionStorage.getItem('custos.session')).toBeNull();
  });

  it('keeps the access token as a development sign-in does, and its expiry ends the session', async () => {
    const auth = createAuthProvider({ auth: OIDC });
    startOidcSession(
      fakeToken({ sub: 'alice', [CLAIM]: ['privacy_officer'], exp: inAnHour() }),
      CLAIM,
      undefined,
    );
    await expect(auth.checkAuth({})).resolves.toBeUndefined();
    expect(await auth.getPermissions?.({})).toEqual({
      roles: ['privacy_officer'],
      purposes: [...ROLE_PURPOSES.privacy_officer],
    });
    expect(Object.keys(localStorage)).toEqual([]);
    // The provider's expires_at stands in for a token without `exp`.
    const soon = Math.floor(Date.now() / 1000) + 60;
    const withoutExp = fakeToken({ sub: 'bob', [CLAIM]: ['admin'], exp: null });
    expect(startOidcSession(withoutExp, CLAIM, soon).expiresAt).toBe(soon * 1000);
    startOidcSession(
      fakeToken({ sub: 'carol', [CLAIM]: ['admin'], exp: inAnHour() - 7200 }),
      CLAIM,
      undefined,
    );
    await expect(auth.checkAuth({})).rejects.toEqual({ message: 'custos.auth.expired' });
    expect(activeSession()).toBeNull();
  });

  it('signs out here only, without asking the provider, when the session has already ended', async () => {
    const fetchSpy = vi.fn(async () =>
      json({ issuer: OIDC.issuer, end_session_endpoint: `${OIDC.issuer}/logout` }),
    );
    vi.stubGlobal('fetch', fetchSpy);
    const auth = createAuthProvider({ auth: OIDC });
    await expect(auth.logout({})).resolves.toBeUndefined();
    expect(fetchSpy).not.toHaveBeenCalled();
  });

  it('signs out here only when the provider has no end_session_endpoint', async () => {
    const fetchSpy = vi.fn(async () =>
      json({ issuer: OIDC.issuer, authorization_endpoint: `${OIDC.issuer}/auth` }),
    );
    vi.stubGlobal('fetch', fetchSpy);
    const auth = createAuthProvider({ auth: OIDC });
    startOidcSession(fakeToken({ sub: 'alice', [CLAIM]: ['admin'], exp: inAnHour() }), CLAIM, undefined);
    await expect(auth.logout({})).resolves.toBeUndefined();
    expect(sessionStorage.getItem('custos.session')).toBeNull();
    expect(fetchSpy).toHaveBeenCalledTimes(1);
    expect(String((fetchSpy.mock.calls[0] as unknown[])[0])).toBe(
      `${OIDC.issuer}/.well-known/openid-configuration`,
    );
  });

  it('asks for the code flow with PKCE, back to the console’s callback, keeping tokens in this tab only', async () => {
    const settings = oidcSettings(OIDC, 'https://console.example.com');
    // The provider's user and the sign-in's state in this tab's sessionStorage (a reload keeps them), never in
    // localStorage; the renewal is started by the console (resumeSession), never by the library on its own.
    await settings.userStore?.set('user:probe', 'tokens');
    await settings.stateStore?.set('state:probe', 'verifier');
    expect(sessionStorage.getItem('oidc.user:probe')).toBe('tokens');
    expect(sessionStorage.getItem('oidc.state:probe')).toBe('verifier');
    expect(localStorage.length).toBe(0);
    expect(settings.automaticSilentRenew).toBe(false);
    expect(settings).toMatchObject({
      authority: OIDC.issuer,
      client_id: OIDC.clientId,
      response_type: 'code',
      scope: 'openid',
      redirect_uri: `https://console.example.com${CALLBACK_PATH}`,
      post_logout_redirect_uri: 'https://console.example.com/',
    });
    expect(settings.disablePKCE).toBeUndefined();
    expect(oidcSettings({ ...OIDC, scope: 'openid offline_access' }, 'https://c.example').scope).toBe(
      'openid offline_access',
    );
  });
});

describe('a reload of the tab', () => {
  const storedUser = (accessToken: string, expiresAt: number) =>
    JSON.stringify({
      access_token: accessToken,
      token_type: 'Bearer',
      expires_at: expiresAt,
      profile: { sub: 'alice' },
      scope: 'openid',
    });
  const userKey = `oidc.user:${OIDC.issuer}:${OIDC.clientId}`;

  it('resumes the renewal of a session it kept, with the roles from the provider’s claim', async () => {
    const renew = vi.spyOn(UserManager.prototype, 'startSilentRenew');
    const expiresAt = inAnHour();
    const token = fakeToken({ sub: 'alice', [CLAIM]: ['privacy_officer'], exp: expiresAt });
    // What a sign-in left in the tab: the session's token and the provider's user.
    sessionStorage.setItem('custos.session', token);
    sessionStorage.setItem(userKey, storedUser(token, expiresAt));
    // A fresh page reads tokens under the development claim until told otherwise.
    setRolesClaim('roles');
    try {
      await resumeSession(OIDC);
      expect(renew).toHaveBeenCalledTimes(1);
      expect(activeSession()?.roles).toEqual(['privacy_officer']);
      expect(sessionStorage.getItem(userKey)).not.toBeNull();
    } finally {
      renew.mockRestore();
      userManager(OIDC).stopSilentRenew();
    }
  });

  it('drops the stored user of a session that expired meanwhile, renews nothing, and still says it expired', async () => {
    const renew = vi.spyOn(UserManager.prototype, 'startSilentRenew');
    const expiredAt = Math.floor(Date.now() / 1000) - 60;
    const token = fakeToken({ sub: 'alice', [CLAIM]: ['privacy_officer'], exp: expiredAt });
    sessionStorage.setItem('custos.session', token);
    sessionStorage.setItem(userKey, storedUser(token, expiredAt));
    try {
      await resumeSession(OIDC);
      expect(renew).not.toHaveBeenCalled();
      expect(sessionStorage.getItem(userKey)).toBeNull();
      // The sign-in page is told why: the session expired (not a quiet first visit).
      await expect(createAuthProvider({ auth: OIDC }).checkAuth({})).rejects.toEqual({
        message: 'custos.auth.expired',
      });
    } finally {
      renew.mockRestore();
    }
  });

  it('drops a stored user whose session has ended, and renews nothing', async () => {
    const renew = vi.spyOn(UserManager.prototype, 'startSilentRenew');
    const expiresAt = inAnHour();
    const token = fakeToken({ sub: 'alice', [CLAIM]: ['privacy_officer'], exp: expiresAt });
    sessionStorage.setItem(userKey, storedUser(token, expiresAt));
    try {
      await resumeSession(OIDC);
      expect(renew).not.toHaveBeenCalled();
      expect(sessionStorage.getItem(userKey)).toBeNull();
      expect(activeSession()).toBeNull();
    } finally {
      renew.mockRestore();
    }
  });
});

describe('the OpenID Connect sign-in page', () => {
  it('offers one button to the provider and no development form', async () => {
    render(
      <AdminContext authProvider={createAuthProvider({ auth: OIDC })} i18nProvider={i18nProvider}>
        <OidcLoginPage config={OIDC} />
      </AdminContext>,
    );
    expect(
      await screen.findByRole('button', {
        name: en.custos.auth.oidc_sign_in.replace('%{provider}', 'login.example.com'),
      }),
    ).toBeDefined();
    expect(screen.getAllByRole('button')).toHaveLength(1);
    expect(screen.queryByRole('textbox')).toBeNull();
    expect(screen.queryByRole('combobox')).toBeNull();
    expect(screen.queryByRole('alert')).toBeNull();
  });
});
