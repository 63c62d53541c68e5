import { generateKeyPairSync, randomBytes } from 'node:crypto';
import http, { type IncomingHttpHeaders, type Server } from 'node:http';
import path from 'node:path';
import { purposesForRoles, type Role } from '@custos/policy';
import { createLogger } from '@custos/runtime';
import { importJWK, SignJWT } from 'jose';
import Provider, { type KoaContextWithOIDC } from 'oidc-provider';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadGatewayConfig } from '../../apps/gateway/src/config.js';
import { createGateway, type Gateway } from '../../apps/gateway/src/gateway.js';
import { loadSupergraph } from '../../apps/gateway/src/supergraph.js';
import { postGraphQL, startTestServer, type TestServer } from '../../apps/subgraph/test/support/harness.js';
import { productionAuditEnv, SUPERGRAPH_PATH } from '../federation/support/federation.js';
import { ADMIN_ROOT, CHROME, freePort, screenshot, seriousViolations } from './support/stack.js';

// Production sign-in end to end (issue 15): a real OpenID Connect provider (oidc-provider) started here, the
// subgraph and the gateway in production mode verifying its JWT access tokens with the roles under a namespaced
// claim (AUTH_ROLES_CLAIM), the gateway serving the console's production build (CONSOLE_DIR) and its config.json,
// and Chromium going through the whole redirect: authorization code with PKCE, back, data, sign-out at the provider.

const ROLES_CLAIM = 'https://custos.example/roles';
const CLIENT_ID = 'custos-console';
const AUDIENCE = 'custos';
const RESOURCE = 'urn:custos:api';
/**
 * The provider's accounts: an officer, an officer whose tokens live 70 seconds (renewed ten seconds in: the console
 * renews a minute before expiry), and someone the provider knows but gives no Custos role.
 */
const ACCOUNTS: Readonly<Record<string, readonly Role[] | undefined>> = {
  'officer-oidc': ['privacy_officer'],
  'short-lived-oidc': ['privacy_officer'],
  'nobody-oidc': undefined,
};
const SHORT_LIVED = 'short-lived-oidc';
const NOWHERE = 'http://127.0.0.1:9/graphql';

let custos: TestServer;
let gateway: Gateway;
let provider: Server;
let browser: Browser;
let issuer: string;
let consoleUrl: string;
let signingKey: JsonWebKey & { kid: string };

beforeAll(async () => {
  const port = await freePort();
  issuer = `http://127.0.0.1:${port}`;
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'oidc-e2e', alg: 'RS256', use: 'sig' };
  const auth = {
    AUTH_JWKS_URL: `${issuer}/jwks`,
    AUTH_ISSUER: issuer,
    AUTH_AUDIENCE: AUDIENCE,
    AUTH_ROLES_CLAIM: ROLES_CLAIM,
  };
  const { privateKey: auditKey } = generateKeyPairSync('ed25519');
  custos = await startTestServer({
    seedContacts: 30,
    env: {
      NODE_ENV: 'production',
      ...auth,
      CONSENT_HMAC_KEY: randomBytes(32).toString('base64url'),
      CURSOR_KEYS: `e2e:${randomBytes(32).toString('base64url')}`,
      AUDIT_SIGNING_KEY: auditKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      AUDIT_HMAC_KEY: randomBytes(32).toString('base64url'),
      // Mail is never sent here: a loopback SMTP address nothing answers on.
      SMTP_URL: 'smtp://127.0.0.1:9',
      MAIL_FROM: 'privacy@example.com',
      PUBLIC_BASE_URL: 'https://privacy.example.com/',
    },
  });
  gateway = await createGateway({
    config: loadGatewayConfig({
      NODE_ENV: 'production',
      PORT: '0',
      ...auth,
      ...productionAuditEnv(custos),
      CONSOLE_DIR: path.join(ADMIN_ROOT, 'dist'),
      CONSOLE_AUTH_MODE: 'oidc',
      CONSOLE_OIDC_ISSUER: issuer,
      CONSOLE_OIDC_CLIENT_ID: CLIENT_ID,
      // CONSOLE_OIDC_ROLES_CLAIM left out: the console reads the claim the gateway verifies (AUTH_ROLES_CLAIM).
      CONSOLE_OIDC_SCOPE: 'openid custos',
    }),
    supergraph: loadSupergraph(SUPERGRAPH_PATH, { custos: custos.graphqlUrl, tickets: NOWHERE }),
    logger: createLogger('silent'),
  });
  consoleUrl = gateway.url;
  provider = startProvider(port);
  browser = await chromium.launch({ executablePath: CHROME, args: ['--no-sandbox'] });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => (provider ? provider.close(resolve) : resolve(undefined)));
  await gateway?.close();
  await custos?.close();
});

/**
 * The identity provider: one public client (PKCE required) redirecting to the console's callback, JWT access
 * tokens for the Custos API (audience `custos`) carrying the account's roles under the namespaced claim, and its
 * development login form (any password).
 */
function startProvider(port: number): Server {
  const oidc = new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT_ID,
        token_endpoint_auth_method: 'none',
        // The sign-in's callback, and the silent renew's page in its hidden frame.
        redirect_uris: [`${consoleUrl}/auth/callback`, `${consoleUrl}/auth/silent`],
        post_logout_redirect_uris: [`${consoleUrl}/`],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
      },
    ],
    jwks: { keys: [signingKey as never] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    pkce: { required: () => true },
    ttl: {
      AccessToken: (_ctx: KoaContextWithOIDC, token: { accountId?: string }) =>
        token.accountId === SHORT_LIVED ? 70 : 600,
    },
    features: {
      devInteractions: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: 'custos',
          audience: AUDIENCE,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
    },
    findAccount: (_ctx: KoaContextWithOIDC, id: string) => ({
      accountId: id,
      claims: () => ({ sub: id }),
    }),
    extraTokenClaims: (_ctx: KoaContextWithOIDC, token) => {
      const roles = 'accountId' in token ? ACCOUNTS[token.accountId] : undefined;
      return roles ? { [ROLES_CLAIM]: [...roles] } : undefined;
    },
  });
  return oidc.listen(port, '127.0.0.1');
}

/** A token as the provider signs it (its key, issuer, audience and claim), for the expected data only. */
async function providerToken(sub: string, roles: readonly Role[]): Promise<string> {
  const key = await importJWK(signingKey, 'RS256');
  return new SignJWT({ [ROLES_CLAIM]: [...roles] })
    .setProtectedHeader({ alg: 'RS256', kid: signingKey.kid })
    .setSubject(sub)
    .setIssuer(issuer)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(key);
}

async function newPage(): Promise<{ page: Page; close: () => Promise<void> }> {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 800 },
    reducedMotion: 'reduce',
  });
  // The provider's development pages ask for a web font: nothing leaves the machine.
  await context.route(/^https?:\/\/(?!127\.0\.0\.1[:/])/, (route) => route.abort());
  return { page: await context.newPage(), close: () => context.close() };
}

/** Through the provider: its login form (any password), its consent, and back to the console. */
async function signInAtProvider(page: Page, account: string): Promise<void> {
  await page.getByRole('button', { name: `Sign in with ${new URL(issuer).host}`, exact: true }).click();
  await page.waitForURL((url) => url.origin === issuer);
  await page.fill('input[name=login]', account);
  await page.fill('input[name=password]', 'any password');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.waitForURL((url) => url.origin === consoleUrl && !url.pathname.startsWith('/auth/'));
}

interface SeenRequest {
  readonly authorization: string | undefined;
  readonly purpose: string | undefined;
}

function recordGraphql(page: Page): SeenRequest[] {
  const seen: SeenRequest[] = [];
  page.on('request', (request) => {
    if (request.url() === `${consoleUrl}/graphql`) {
      seen.push({ authorization: request.headers().authorization, purpose: request.headers()['x-purpose'] });
    }
  });
  return seen;
}

/** A GET with exactly these headers (fetch would set its own Sec-Fetch-Mode: cors). */
function rawGet(
  target: string,
  headers: Readonly<Record<string, string>>,
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.get(`${consoleUrl}${target}`, { headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
    });
    request.on('error', reject);
  });
}

const claimsOf = (authorization: string) =>
  JSON.parse(Buffer.from(authorization.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;

describe('the console served by the gateway in production', () => {
  it('answers config.json from its environment, the roles claim defaulting to AUTH_ROLES_CLAIM', async () => {
    const response = await fetch(`${consoleUrl}/config.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual({
      auth: { mode: 'oidc', issuer, clientId: CLIENT_ID, rolesClaim: ROLES_CLAIM, scope: 'openid custos' },
    });
  });

  it('serves index.html uncached with a strict CSP, hashed assets for a year, and nothing else', async () => {
    const index = await fetch(`${consoleUrl}/`, { headers: { accept: 'text/html' } });
    expect(index.status).toBe(200);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const csp = index.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self';");
    expect(csp).toContain(`connect-src 'self' ${issuer};`);
    expect(csp).toContain("frame-ancestors 'self'");
    expect(csp).not.toContain('unsafe-eval');
    const html = await index.text();
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(`${consoleUrl}${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    // A navigation to a path of the app (the sign-in callback, a bookmark) gets the app.
    const navigation = await rawGet('/auth/callback?code=x', {
      accept: 'text/html',
      'sec-fetch-mode': 'navigate',
    });
    expect(navigation.status).toBe(200);
    expect(navigation.body).toBe(html);
    // Not a navigation, a directory, outside the build, a dot-file: 404, never a listing or a file elsewhere.
    for (const [target, headers] of [
      ['/auth/callback', { accept: 'text/html', 'sec-fetch-mode': 'cors' }],
      ['/assets/missing.js', { accept: '*/*' }],
      ['/assets/', { accept: 'application/json' }],
      ['/%2e%2e/package.json', { accept: '*/*' }],
      ['/assets/..%2f..%2fpackage.json', { accept: 'text/html', 'sec-fetch-mode': 'navigate' }],
      ['/assets/%2e%2e/%2e%2e/package.json', { accept: '*/*' }],
      ['/.env', { accept: '*/*' }],
    ] as const) {
      const refused = await rawGet(target, headers);
      expect({ target, status: refused.status }).toEqual({ target, status: 404 });
      expect(refused.body).not.toContain('"name"');
    }
    // Development tokens do not exist in production.
    const dev = await fetch(`${consoleUrl}/dev/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sub: 'x', roles: ['admin'] }),
    });
    expect(dev.status).toBe(404);
  });
});

describe('OpenID Connect sign-in in Chromium', () => {
  it('signs a privacy officer in through the provider, lists the contacts, and signs out at the provider', async () => {
    const { page, close } = await newPage();
    try {
      const seen = recordGraphql(page);
      await page.goto(`${consoleUrl}/`);
      const button = page.getByRole('button', { name: `Sign in with ${new URL(issuer).host}`, exact: true });
      await button.waitFor();
      // One button: no development form, no role to choose.
      expect(await page.locator('#custos-subject, #custos-role').count()).toBe(0);
      expect(await page.getByRole('button').count()).toBe(1);
      expect(await seriousViolations(page)).toEqual([]);
      await screenshot(page, 'oidc-01-sign-in');

      await signInAtProvider(page, 'officer-oidc');
      await page.goto(`${consoleUrl}/#/contacts`);
      const held = purposesForRoles(['privacy_officer']);
      const expected = await postGraphQL<{ contacts: { edges: { node: { email: string | null } }[] } }>(
        `${consoleUrl}/graphql`,
        '{ contacts(first: 5) { edges { node { email } } } }',
        { token: await providerToken('expected-data', ['privacy_officer']), purpose: held[0] },
      );
      expect(expected.body.errors).toBeUndefined();
      const emails = expected.body.data!.contacts.edges.map((edge) => edge.node.email);
      expect(emails).toHaveLength(5);
      for (const email of emails) await page.getByRole('cell', { name: email!, exact: true }).waitFor();

      // The purposes the policy gives the provider's role, no other.
      await page.getByLabel('Purpose').click();
      const offered = await page
        .getByRole('option')
        .evaluateAll((nodes) => nodes.map((node) => node.getAttribute('data-value')));
      expect(offered).toEqual(held);
      await page.keyboard.press('Escape');
      await page.getByRole('option').first().waitFor({ state: 'detached' });

      // Every request carried the provider's access token and a held purpose.
      expect(seen.length).toBeGreaterThan(0);
      const authorization = seen[0]!.authorization!;
      for (const request of seen) {
        expect(request.authorization).toBe(authorization);
        expect(held).toContain(request.purpose);
      }
      expect(claimsOf(authorization)).toMatchObject({
        iss: issuer,
        aud: AUDIENCE,
        sub: 'officer-oidc',
        [ROLES_CLAIM]: ['privacy_officer'],
      });
      expect(await seriousViolations(page)).toEqual([]);
      await screenshot(page, 'oidc-02-contacts');

      // Sign out: the session ends here and at the provider, and the old token is never sent again.
      const before = seen.length;
      await page.getByRole('button', { name: /officer-oidc: account menu/ }).click();
      await page.getByRole('menuitem', { name: /logout/i }).click();
      await page.waitForURL((url) => url.origin === issuer);
      await page.getByRole('button', { name: 'Yes, sign me out' }).click();
      await page.waitForURL((url) => url.origin === consoleUrl);
      await button.waitFor();
      expect(await page.evaluate(() => sessionStorage.getItem('custos.session'))).toBeNull();
      await page.goto(`${consoleUrl}/#/contacts`);
      await button.waitFor();
      expect(seen.slice(before).filter((request) => request.authorization === authorization)).toEqual([]);
      await screenshot(page, 'oidc-03-signed-out');
    } finally {
      await close();
    }
  }, 180_000);

  it('renews the access token before it expires, without leaving the page, and again after a reload', async () => {
    const { page, close } = await newPage();
    try {
      const seen = recordGraphql(page);
      const topNavigations: string[] = [];
      page.on('framenavigated', (frame) => {
        if (frame === page.mainFrame()) topNavigations.push(frame.url());
      });
      await page.goto(`${consoleUrl}/`);
      await signInAtProvider(page, SHORT_LIVED);
      await page.goto(`${consoleUrl}/#/contacts`);
      await page.getByRole('link', { name: /show/i }).first().waitFor();
      const first = await page.evaluate(() => sessionStorage.getItem('custos.session'));
      expect(first).not.toBeNull();
      const navigationsBefore = topNavigations.length;
      // A minute before its expiry, the token is renewed in a hidden frame (no refresh token was asked for).
      await page.waitForFunction(
        (old) => {
          const now = sessionStorage.getItem('custos.session');
          return now !== null && now !== old;
        },
        first,
        { timeout: 60_000 },
      );
      const renewed = (await page.evaluate(() => sessionStorage.getItem('custos.session')))!;
      expect(topNavigations.slice(navigationsBefore)).toEqual([]);
      const [before, after] = [claimsOf(`Bearer ${first}`), claimsOf(`Bearer ${renewed}`)];
      expect(after).toMatchObject({
        iss: issuer,
        aud: AUDIENCE,
        sub: SHORT_LIVED,
        [ROLES_CLAIM]: ['privacy_officer'],
      });
      expect(after.exp as number).toBeGreaterThan(before.exp as number);
      // The next request carries the renewed token.
      const count = seen.length;
      await page
        .getByRole('button', { name: /refresh/i })
        .first()
        .click();
      await expect
        .poll(() => seen.slice(count).map((request) => request.authorization))
        .toContain(`Bearer ${renewed}`);
      expect(seen.slice(count).map((request) => request.authorization)).not.toContain(`Bearer ${first}`);

      // A reload of the tab keeps the session, and its renewal: the renewed token is renewed again before it
      // expires, in the hidden frame, with no sign-in page and no trip to the provider.
      await page.reload();
      await page.getByRole('link', { name: /show/i }).first().waitFor();
      expect(await page.evaluate(() => sessionStorage.getItem('custos.session'))).toBe(renewed);
      // The provider's user is kept in this tab's sessionStorage, never in localStorage (which holds react-admin's
      // preferences only: no OpenID Connect entry, no token).
      const stored = await page.evaluate((token) => {
        const local = Object.keys(localStorage);
        return {
          session: Object.keys(sessionStorage).filter((key) => key.startsWith('oidc.user:')),
          sessionHasToken: Object.values(sessionStorage).some((value) => value.includes(token)),
          localOidc: local.filter((key) => key.startsWith('oidc.')),
          localHasToken: local.some((key) => localStorage.getItem(key)?.includes(token) === true),
        };
      }, renewed);
      expect(stored).toEqual({
        session: [`oidc.user:${issuer}:${CLIENT_ID}`],
        sessionHasToken: true,
        localOidc: [],
        localHasToken: false,
      });
      const navigationsAfterReload = topNavigations.length;
      await page.waitForFunction(
        (old) => {
          const now = sessionStorage.getItem('custos.session');
          return now !== null && now !== old;
        },
        renewed,
        { timeout: 60_000 },
      );
      const renewedAt = Date.now();
      const again = (await page.evaluate(() => sessionStorage.getItem('custos.session')))!;
      const [reloaded, latest] = [claimsOf(`Bearer ${renewed}`), claimsOf(`Bearer ${again}`)];
      // Before the token in use at the reload expired, and no page left the console meanwhile.
      expect(renewedAt).toBeLessThan((reloaded.exp as number) * 1000);
      expect(topNavigations.slice(navigationsAfterReload)).toEqual([]);
      expect(latest).toMatchObject({ iss: issuer, sub: SHORT_LIVED, [ROLES_CLAIM]: ['privacy_officer'] });
      expect(latest.exp as number).toBeGreaterThan(reloaded.exp as number);
      // Still signed in, and the next request carries the token renewed after the reload.
      expect(await page.getByRole('button', { name: `Sign in with ${new URL(issuer).host}` }).count()).toBe(
        0,
      );
      const countAfterReload = seen.length;
      await page
        .getByRole('button', { name: /refresh/i })
        .first()
        .click();
      await expect
        .poll(() => seen.slice(countAfterReload).map((request) => request.authorization))
        .toContain(`Bearer ${again}`);
      expect(seen.slice(countAfterReload).map((request) => request.authorization)).not.toContain(
        `Bearer ${renewed}`,
      );
    } finally {
      await close();
    }
  }, 240_000);

  it('says so, and shows no data, when the provider’s token holds no Custos role in the claim', async () => {
    const { page, close } = await newPage();
    try {
      const seen = recordGraphql(page);
      await page.goto(`${consoleUrl}/`);
      await signInAtProvider(page, 'nobody-oidc');
      const alert = page.getByRole('alert');
      await alert.waitFor();
      expect(await alert.textContent()).toContain(`holds no Custos role in its claim “${ROLES_CLAIM}”`);
      expect(await page.evaluate(() => sessionStorage.getItem('custos.session'))).toBeNull();
      expect(await page.getByRole('table').count()).toBe(0);
      expect(seen).toEqual([]);
      expect(await seriousViolations(page)).toEqual([]);
      await screenshot(page, 'oidc-04-no-roles');
    } finally {
      await close();
    }
  }, 180_000);
});
