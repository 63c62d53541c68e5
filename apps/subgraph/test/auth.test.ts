import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ROLE_PURPOSES } from '@custos/policy';
import {
  createTokenVerifier,
  ForbiddenError,
  signDevToken,
  UnauthenticatedError,
  VerifiedTokenCache,
} from '@custos/runtime';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { errorCode, startTestServer, type TestServer } from './support/harness.js';

const QUERY = '{ contacts(first: 1) { totalCount } }';
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ seedContacts: 3 });
});
afterAll(() => server?.close());

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

/** A token signed with a key pair the server has never seen, under the dev key's kid. */
async function foreignToken(claims: Record<string, unknown>, kid: string) {
  const { privateKey } = await generateKeyPair('ES256');
  return new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid }).sign(privateKey);
}

async function expectUnauthenticated(token: string | null, headers: Record<string, string> = {}) {
  const res = await server.gql(QUERY, { token, headers });
  expect(res.status).toBe(401);
  expect(errorCode(res)).toBe('UNAUTHENTICATED');
  expect(res.body.data ?? null).toBeNull();
  return res;
}

describe('authentication (HTTP 401, UNAUTHENTICATED)', () => {
  it('accepts a valid development token with a purpose its role holds', async () => {
    const res = await server.gql(QUERY);
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ contacts: { totalCount: 3 } });
  });

  it('refuses a request without Authorization', async () => {
    const res = await expectUnauthenticated(null);
    expect(res.body.errors?.[0]?.message).toMatch(/Authorization header is required/);
  });

  it('refuses a malformed Authorization header and a non-JWT token', async () => {
    await expectUnauthenticated(null, { authorization: 'Basic dXNlcjpwYXNz' });
    await expectUnauthenticated('not-a-jwt');
    await expectUnauthenticated('a.b.c');
  });

  it('refuses an expired token', async () => {
    const token = await signDevToken(server.keys, {
      sub: 'x',
      roles: ['support_agent'],
      ttlSeconds: 60,
      now: new Date(Date.now() - 3_600_000),
    });
    const res = await expectUnauthenticated(token);
    expect(res.body.errors?.[0]?.message).toBe('token has expired');
  });

  it('refuses a token that is not valid yet (nbf in the future)', async () => {
    const token = await signDevToken(server.keys, {
      sub: 'x',
      roles: ['support_agent'],
      ttlSeconds: 600,
      now: new Date(Date.now() + 3_600_000),
    });
    const res = await expectUnauthenticated(token);
    expect(res.body.errors?.[0]?.message).toBe('token is not valid yet');
  });

  it('refuses a token from another issuer or for another audience', async () => {
    const { importJWK } = await import('jose');
    const key = await importJWK(server.keys.privateJwk, 'ES256');
    const base = () =>
      new SignJWT({ roles: ['support_agent'] })
        .setProtectedHeader({ alg: 'ES256', kid: server.keys.kid })
        .setSubject('x')
        .setIssuedAt()
        .setExpirationTime('10m');
    const wrongIssuer = await base().setIssuer('someone-else').setAudience('custos').sign(key);
    const wrongAudience = await base().setIssuer('custos-dev').setAudience('another-api').sign(key);
    expect((await expectUnauthenticated(wrongIssuer)).body.errors?.[0]?.message).toBe(
      'token issuer is not accepted',
    );
    expect((await expectUnauthenticated(wrongAudience)).body.errors?.[0]?.message).toBe(
      'token audience is not accepted',
    );
  });

  it('refuses a token signed by an unknown key, and one with an unknown kid', async () => {
    const claims = { sub: 'x', roles: ['support_agent'], iss: 'custos-dev', aud: 'custos', exp: now() + 600 };
    await expectUnauthenticated(await foreignToken(claims, server.keys.kid));
    const res = await expectUnauthenticated(await foreignToken(claims, 'no-such-kid'));
    expect(res.body.errors?.[0]?.message).toBe('token signing key is not known');
  });

  it('refuses alg "none"', async () => {
    const header = b64({ alg: 'none', typ: 'JWT' });
    const payload = b64({ sub: 'x', roles: ['admin'], iss: 'custos-dev', aud: 'custos', exp: now() + 600 });
    await expectUnauthenticated(`${header}.${payload}.`);
  });

  it('refuses HS256 signed with the public key (algorithm confusion)', async () => {
    const { createHmac } = await import('node:crypto');
    const publicJwk = server.keys.publicJwks.keys[0]!;
    const secret = JSON.stringify(publicJwk);
    const header = b64({ alg: 'HS256', typ: 'JWT', kid: server.keys.kid });
    const payload = b64({ sub: 'x', roles: ['admin'], iss: 'custos-dev', aud: 'custos', exp: now() + 600 });
    const signature = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url');
    const res = await expectUnauthenticated(`${header}.${payload}.${signature}`);
    expect(res.body.errors?.[0]?.message).toBe('token algorithm is not accepted');
  });

  it('refuses a token without exp, without sub, or with a roles claim that is not an array', async () => {
    const { importJWK } = await import('jose');
    const key = await importJWK(server.keys.privateJwk, 'ES256');
    const sign = (claims: Record<string, unknown>) =>
      new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: server.keys.kid }).sign(key);
    const good = { sub: 'x', roles: ['support_agent'], iss: 'custos-dev', aud: 'custos', exp: now() + 600 };
    const { exp: _exp, ...noExp } = good;
    const { sub: _sub, ...noSub } = good;
    await expectUnauthenticated(await sign(noExp));
    await expectUnauthenticated(await sign(noSub));
    await expectUnauthenticated(await sign({ ...good, roles: 'support_agent' }));
  });

  it('serves the development JWKS with public keys only', async () => {
    const res = await fetch(`${server.baseUrl}/.well-known/jwks.json`);
    expect(res.status).toBe(200);
    const jwks = (await res.json()) as { keys: Record<string, unknown>[] };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', kid: server.keys.kid });
    expect(jwks.keys[0]).not.toHaveProperty('d');
    const publicOnly = await exportJWK((await generateKeyPair('ES256')).publicKey);
    expect(Object.keys(publicOnly)).not.toContain('d');
  });
});

describe('purpose (HTTP 403, FORBIDDEN)', () => {
  async function expectForbidden(roles: string[], purpose: string | null, message: RegExp) {
    const res = await server.gql(QUERY, { token: await server.token(roles), purpose });
    expect(res.status).toBe(403);
    expect(errorCode(res)).toBe('FORBIDDEN');
    expect(res.body.errors?.[0]?.message).toMatch(message);
    expect(res.body.data ?? null).toBeNull();
  }

  it('refuses a missing or blank X-Purpose', async () => {
    await expectForbidden(['support_agent'], null, /X-Purpose header is required/);
    await expectForbidden(['support_agent'], ' ', /X-Purpose header is required/);
  });

  it('refuses an unknown purpose', async () => {
    await expectForbidden(['support_agent'], 'curiosity', /not a known purpose/);
  });

  it('refuses a purpose none of the caller roles holds', async () => {
    await expectForbidden(['support_agent'], 'marketing', /not a purpose your roles may declare/);
    await expectForbidden(['analyst'], 'compliance', /not a purpose your roles may declare/);
  });

  it('refuses a caller whose roles are all unknown or empty', async () => {
    await expectForbidden(['superuser'], 'customer_support', /not a purpose your roles may declare/);
    await expectForbidden([], 'customer_support', /not a purpose your roles may declare/);
  });

  it('lets every role declare each of its purposes (every caller sees every field until redaction lands)', async () => {
    // The table itself is reviewed in packages/policy; here every row of it must work over HTTP.
    for (const [role, purposes] of Object.entries(ROLE_PURPOSES)) {
      for (const purpose of purposes) {
        const res = await server.gql(QUERY, { token: await server.token([role]), purpose });
        expect({ role, purpose, status: res.status }).toEqual({ role, purpose, status: 200 });
      }
    }
  });
});

describe('verification against a remote JWKS (how production runs)', () => {
  it('verifies tokens with keys fetched from AUTH_JWKS_URL and refuses unknown keys and issuers', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'idp-1', alg: 'ES256' };
    const idp = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => idp.listen(0, '127.0.0.1', resolve));
    const { port } = idp.address() as AddressInfo;
    try {
      const verify = createTokenVerifier({
        jwksUrl: `http://127.0.0.1:${port}/jwks.json`,
        issuer: 'https://idp.example.com',
        audience: 'custos',
      });
      const sign = (claims: Record<string, unknown>, kid = 'idp-1') =>
        new SignJWT({ roles: ['sales_rep'], ...claims })
          .setProtectedHeader({ alg: 'ES256', kid })
          .setSubject('rep-1')
          .setAudience('custos')
          .setExpirationTime('5m')
          .sign(privateKey);
      const good = await sign({ iss: 'https://idp.example.com' });
      await expect(verify(`Bearer ${good}`, 'sales')).resolves.toEqual({
        sub: 'rep-1',
        roles: ['sales_rep'],
        purpose: 'sales',
      });
      await expect(verify(`Bearer ${good}`, 'marketing')).rejects.toBeInstanceOf(ForbiddenError);
      await expect(verify(`Bearer ${await sign({ iss: 'custos-dev' })}`, 'sales')).rejects.toBeInstanceOf(
        UnauthenticatedError,
      );
      await expect(
        verify(`Bearer ${await sign({ iss: 'https://idp.example.com' }, 'rotated-away')}`, 'sales'),
      ).rejects.toThrow('token signing key is not known');
    } finally {
      idp.close();
    }
  });
});

describe('verified-token cache', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('never serves a token past its exp, nor longer than its maximum age', () => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2026-01-01T00:00:00Z'));
    const cache = new VerifiedTokenCache(10, 60_000);
    const exp = Date.now() / 1000 + 30;
    cache.set('short-lived', { sub: 'a', exp });
    cache.set('long-lived', { sub: 'b', exp: exp + 3600 });
    expect(cache.get('short-lived')?.sub).toBe('a');
    vi.advanceTimersByTime(30_000);
    expect(cache.get('short-lived')).toBeUndefined();
    expect(cache.get('long-lived')?.sub).toBe('b');
    vi.advanceTimersByTime(30_000);
    expect(cache.get('long-lived')).toBeUndefined();
  });

  it('holds at most its capacity, dropping the oldest entry first', () => {
    const cache = new VerifiedTokenCache(2, 60_000);
    const exp = Date.now() / 1000 + 600;
    cache.set('t1', { sub: '1', exp });
    cache.set('t2', { sub: '2', exp });
    cache.set('t3', { sub: '3', exp });
    expect(cache.get('t1')).toBeUndefined();
    expect(cache.get('t2')?.sub).toBe('2');
    expect(cache.get('t3')?.sub).toBe('3');
  });
});
