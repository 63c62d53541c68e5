import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Federation,
  productionAuditEnv,
  type StartedGateway,
  startFederation,
} from './support/federation.js';

// `POST /dev/token` through the gateway (issue 15): in development the gateway passes it to the Custos subgraph,
// which holds the development key; a gateway in production does not have the path at all.

const QUERY = '{ contacts(first: 3) { totalCount edges { node { id } } } }';

let federation: Federation;
beforeAll(async () => {
  federation = await startFederation({ seedContacts: 3 });
});
afterAll(() => federation?.close());

const post = (base: string, body: unknown, init: RequestInit = {}) =>
  fetch(`${base}/dev/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    ...init,
  });

describe('in development', () => {
  it('issues a token that works at the gateway for a purpose its role holds, FORBIDDEN for one it does not', async () => {
    const res = await post(federation.gateway.url, { sub: 'console-dev', roles: ['sales_rep'] });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const { token, expiresAt } = (await res.json()) as { token: string; expiresAt: string };
    // One hour from now (DEV_TOKEN_TTL_SECONDS' default), to the second.
    expect(Math.abs(Date.parse(expiresAt) - (Date.now() + 3_600_000))).toBeLessThan(5_000);
    const allowed = await federation.gateway.gql(QUERY, { token, purpose: 'sales' });
    expect(allowed.status).toBe(200);
    expect(allowed.body.errors).toBeUndefined();
    expect(allowed.body.data).toMatchObject({ contacts: { totalCount: 3 } });
    const refused = await federation.gateway.gql(QUERY, { token, purpose: 'customer_support' });
    expect(refused.status).toBe(403);
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(refused.body.data ?? null).toBeNull();
  });

  it('passes the subgraph’s refusal of bad input back: 400 naming the field, not the value', async () => {
    const res = await post(federation.gateway.url, { sub: 'zq7 with spaces', roles: ['zq7-superuser'] });
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(text).not.toContain('zq7');
    const [error] = (JSON.parse(text) as { errors: { extensions: { code: string; problems: unknown[] } }[] })
      .errors;
    expect(error?.extensions.code).toBe('BAD_USER_INPUT');
    expect(error?.extensions.problems).toEqual([
      expect.objectContaining({ field: 'sub', rule: 'pattern' }),
      expect.objectContaining({ field: 'roles', rule: 'one_of' }),
    ]);
  });

  it('takes POST only and 4 KiB at most, and passes on nothing but the body and its type', async () => {
    const get = await fetch(`${federation.gateway.url}/dev/token`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect(
      (await post(federation.gateway.url, { sub: 'a', roles: ['admin'], pad: 'p'.repeat(4096) })).status,
    ).toBe(413);
    const seen = federation.recorders.custos!;
    const before = seen.requests.length;
    const res = await post(
      federation.gateway.url,
      { sub: 'headers-check', roles: ['analyst'] },
      { headers: { 'content-type': 'application/json', authorization: 'Bearer zq7', cookie: 'zq7=1' } },
    );
    expect(res.status).toBe(200);
    const passed = seen.requests.slice(before).filter((r) => r.path === '/dev/token');
    expect(passed).toHaveLength(1);
    expect(passed[0]!.headers.authorization).toBeUndefined();
    expect(passed[0]!.headers.cookie).toBeUndefined();
    expect(passed[0]!.headers['content-type']).toBe('application/json');
  });
});

describe('a gateway in production', () => {
  let production: StartedGateway;
  beforeAll(async () => {
    production = await federation.startGateway({
      NODE_ENV: 'production',
      AUTH_ISSUER: 'custos-test-idp',
      AUTH_AUDIENCE: 'custos',
      ...productionAuditEnv(federation.custos),
    });
  });

  it('has no /dev/token: 404 like any unknown path, though the subgraph behind it would issue one', async () => {
    const seen = federation.recorders.custos!;
    const before = seen.requests.length;
    const res = await post(production.url, { sub: 'prod-try', roles: ['admin'] });
    expect(res.status).toBe(404);
    const body = (await res.json()) as { errors: { extensions: { code: string } }[]; token?: unknown };
    expect(body.errors[0]?.extensions.code).toBe('NOT_FOUND');
    expect(body.token).toBeUndefined();
    expect((await fetch(`${production.url}/dev/token`)).status).toBe(404);
    const unknown = await fetch(`${production.url}/dev/unknown`, { method: 'POST' });
    expect({ status: unknown.status, body: await unknown.json() }).toEqual({ status: 404, body });
    // Nothing reached the subgraph…
    expect(seen.requests.slice(before).filter((r) => r.path === '/dev/token')).toEqual([]);
    // …which, being a development one, would have answered.
    expect((await post(federation.custos.baseUrl, { sub: 'prod-try', roles: ['admin'] })).status).toBe(200);
  });
});
