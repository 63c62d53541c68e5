import { request } from 'node:http';
import { createLogger } from '@custos/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadGatewayConfig } from '../../apps/gateway/src/config.js';
import { createGateway, type Gateway } from '../../apps/gateway/src/gateway.js';
import { loadSupergraph } from '../../apps/gateway/src/supergraph.js';
import { startTestServer, type TestServer } from '../../apps/subgraph/test/support/harness.js';
import { SUPERGRAPH_PATH } from './support/federation.js';

/**
 * `/public/*` through the gateway (issue 14): the data-subject endpoint reachable while the subgraphs stay private,
 * under the subgraph's own limits — the shared budget keyed by the client the gateway names, never by the gateway,
 * and never by an address the client writes — and CORS for the configured form origins only.
 *
 * Every party has an address of its own on loopback (Linux routes all of 127.0.0.0/8 there), so that keying on
 * the wrong one shows: the gateway reaches Custos from 127.0.0.1, clients come from 127.0.0.2, 127.0.0.3 and
 * 127.0.0.5, and a load balancer in front of the gateway from 127.0.0.4. The gateway trusts the balancer; Custos
 * trusts the proxies on the way to it — the gateway and the balancer — and nobody else.
 */
const LIMIT = 3;
const FORM = 'https://forms.example.com';
const GATEWAY_PEER = '127.0.0.1';
const CLIENT_A = '127.0.0.2';
const CLIENT_B = '127.0.0.3';
const BALANCER = '127.0.0.4';
const CLIENT_C = '127.0.0.5';
let custos: TestServer;
let gateway: Gateway;

beforeAll(async () => {
  // Custos trusts the gateway and the proxy in front of it, and nobody else, to name the client.
  custos = await startTestServer({
    env: { PUBLIC_RATE_LIMIT_PER_MINUTE: String(LIMIT), TRUSTED_PROXIES: `${GATEWAY_PEER}, ${BALANCER}` },
  });
  // The gateway trusts the load balancer in front of it, and nobody else, to name the client.
  gateway = await createGateway({
    config: loadGatewayConfig({
      NODE_ENV: 'test',
      PORT: '0',
      AUTH_JWKS_URL: `${custos.baseUrl}/.well-known/jwks.json`,
      PUBLIC_FORM_ORIGINS: FORM,
      TRUSTED_PROXIES: BALANCER,
    }),
    supergraph: loadSupergraph(SUPERGRAPH_PATH, {
      custos: custos.graphqlUrl,
      tickets: 'http://127.0.0.1:9/graphql',
    }),
    logger: createLogger('silent'),
  });
});
afterAll(async () => {
  await gateway?.close();
  await custos?.close();
});

const post = (body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${gateway.url}/public/consent`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

/** A form's post to `base` sent from the local address `from`, with `headers`: its status and Retry-After. */
function postFrom(
  from: string,
  base: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; retryAfter: string | undefined }> {
  const body = JSON.stringify({ email: 'x@example.org', purpose: 'marketing', status: 'DENIED' });
  return new Promise((resolve, reject) => {
    const req = request(
      `${base}/public/consent`,
      {
        method: 'POST',
        localAddress: from,
        agent: false,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          ...headers,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            retryAfter: res.headers['retry-after'] as string | undefined,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** `count` posts from `from` to `base`, one after the other: their statuses. */
async function statusesFrom(
  count: number,
  from: string,
  base: string,
  headers: (i: number) => Record<string, string> = () => ({}),
): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < count; i++) {
    const res = await postFrom(from, base, headers(i));
    if (res.status === 429) expect(Number(res.retryAfter)).toBeGreaterThan(0);
    statuses.push(res.status);
  }
  return statuses;
}

describe('/public/* through the gateway', () => {
  it('records a form’s refusal for the contact with that email, evidence from the client the gateway saw', async () => {
    const [contact] = await custos.sql<{ id: string; email: string }>(
      `insert into contact (id, full_name, email, created_at, updated_at)
       values (gen_random_uuid(), 'Public Route', 'public.route@example.org', now(), now()) returning id, email`,
    );
    const res = await post(
      { email: contact!.email, purpose: 'marketing', status: 'DENIED' },
      { 'user-agent': 'Form/2' },
    );
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ status: 'accepted' });
    // Recorded by the submission's job, after the answer.
    let events: { status: string; method: string; user_agent: string | null }[] = [];
    for (const deadline = Date.now() + 20_000; events.length === 0 && Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      events = await custos.sql(
        `select e.status, e.method, v.user_agent from consent_event e
           left join consent_evidence v on v.event_id = e.id where e.contact_id = $1`,
        [contact!.id],
      );
    }
    expect(events).toEqual([{ status: 'DENIED', method: 'WEB_FORM', user_agent: 'Form/2' }]);
  });

  it('answers a bad body as the subgraph does, naming the field, and a body over the limit 413', async () => {
    const bad = await post({ email: 'not-an-email', purpose: 'marketing', status: 'DENIED' });
    expect(bad.status).toBe(400);
    const text = await bad.text();
    expect(JSON.parse(text).errors[0].extensions.problems.map((p: { field: string }) => p.field)).toEqual([
      'email',
    ]);
    expect(text).not.toContain('not-an-email');
    const big = await post({
      email: 'x@example.org',
      purpose: 'marketing',
      status: 'DENIED',
      pad: 'x'.repeat(20_000),
    });
    expect(big.status).toBe(413);
  });

  it('keys the limit on the client the gateway names: each client runs out of its own budget, not the gateway’s', async () => {
    // A spends its budget through the gateway; every post claims another address, which the gateway drops (A is
    // no proxy it trusts) — were it believed, each would be a fresh client with a fresh budget.
    expect(
      await statusesFrom(LIMIT + 1, CLIENT_A, gateway.url, (i) => ({ 'x-forwarded-for': `203.0.113.${i}` })),
    ).toEqual([202, 202, 202, 429]);
    // B reaches Custos from the same gateway, yet has its own budget — keyed on the gateway, it would be spent —
    // and runs out of it on its own, A's untouched by it.
    expect(await statusesFrom(LIMIT + 1, CLIENT_B, gateway.url)).toEqual([202, 202, 202, 429]);
    // A forged header naming A does not make B's spent budget A's, nor the other way round.
    expect(
      await statusesFrom(1, CLIENT_B, gateway.url, () => ({ 'x-forwarded-for': '198.51.100.9' })),
    ).toEqual([429]);
  });

  it('believes the X-Forwarded-For of a proxy the gateway trusts, and at Custos only the trusted proxies’', async () => {
    // Behind the trusted load balancer: the client it names is the client — a new one has a budget of its own…
    expect(
      await statusesFrom(1, BALANCER, gateway.url, () => ({ 'x-forwarded-for': '198.51.100.7' })),
    ).toEqual([202]);
    // … and one it names as A is A, whose budget is spent.
    expect(await statusesFrom(1, BALANCER, gateway.url, () => ({ 'x-forwarded-for': CLIENT_A }))).toEqual([
      429,
    ]);
    // Straight at Custos, A is A whatever it writes (only the gateway is trusted there): the same spent budget
    // as through the gateway.
    expect(
      await statusesFrom(1, CLIENT_A, custos.baseUrl, () => ({ 'x-forwarded-for': '198.51.100.8' })),
    ).toEqual([429]);
    // And another client straight at Custos naming A in the header is itself, with a budget of its own: the
    // header ignored.
    expect(await statusesFrom(1, CLIENT_C, custos.baseUrl, () => ({ 'x-forwarded-for': CLIENT_A }))).toEqual([
      202,
    ]);
  });

  it('answers CORS preflights for the form origins only', async () => {
    const preflight = (origin: string) =>
      fetch(`${gateway.url}/public/consent`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type',
        },
      });
    const allowed = await preflight(FORM);
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(FORM);
    expect(allowed.headers.get('access-control-allow-methods')).toContain('POST');
    const refused = await preflight('https://evil.example.net');
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    expect(refused.headers.get('access-control-allow-methods')).toBeNull();
  });
});
