import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../apps/gateway/src/gateway.js';
import { startTestServer, type TestServer } from '../../apps/subgraph/test/support/harness.js';
import { startPublicGateway } from './support/federation.js';

/**
 * `/public/*` through the gateway (issue 14): the data-subject endpoint reachable while the subgraphs stay private,
 * under the subgraph's own limits — the shared budget keyed by the client the gateway names, never by the gateway,
 * and never by an address the client writes — and CORS for the configured form origins only.
 */
const LIMIT = 3;
const FORM = 'https://forms.example.com';
let custos: TestServer;
let gateway: Gateway;

beforeAll(async () => {
  // Custos trusts the gateway (on loopback here) to name the client.
  custos = await startTestServer({
    env: { PUBLIC_RATE_LIMIT_PER_MINUTE: String(LIMIT), TRUSTED_PROXIES: '127.0.0.1, ::1' },
  });
  gateway = await startPublicGateway(custos, FORM);
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

  it('keys the limit on the client, not on the gateway, and ignores an address the client writes', async () => {
    // The tests above used 2 of this client's budget; every request here claims another address, in vain.
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT; i++) {
      const res = await post(
        { email: 'x@example.org', purpose: 'marketing', status: 'DENIED' },
        { 'x-forwarded-for': `203.0.113.${i}` },
      );
      statuses.push(res.status);
      if (res.status === 429) expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    // The 2 earlier requests of this client (the 400 counted; the 413 never reached the subgraph) plus these.
    expect(statuses).toEqual([202, 429, 429]);
    // Both ways: the same client straight at the subgraph (peer loopback, trusted, no X-Forwarded-For) is the
    // same address, so the same exhausted budget.
    const direct = await fetch(`${custos.baseUrl}/public/consent`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'x@example.org', purpose: 'marketing', status: 'DENIED' }),
    });
    expect(direct.status).toBe(429);
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
