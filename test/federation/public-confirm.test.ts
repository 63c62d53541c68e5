import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../apps/gateway/src/gateway.js';
import { startTestServer, type TestServer } from '../../apps/subgraph/test/support/harness.js';
import { until } from '../../apps/subgraph/test/support/mail.js';
import { startPublicGateway } from './support/federation.js';

/**
 * The double opt-in as a data subject meets it with the subgraphs kept private: the form posts to the gateway,
 * the mailed link points at the gateway (PUBLIC_BASE_URL), and opening and confirming it go through the gateway,
 * with the page's own protections (CSP, no referrer, no framing) intact.
 */
const FORM = 'https://forms.example.com';
let custos: TestServer;
let gateway: Gateway;

beforeAll(async () => {
  custos = await startTestServer({
    env: {
      TRUSTED_PROXIES: '127.0.0.1, ::1',
      JOBS_POLL_MS: '500',
      PUBLIC_BASE_URL: 'https://privacy.example.com',
    },
  });
  gateway = await startPublicGateway(custos, FORM);
});
afterAll(async () => {
  await gateway?.close();
  await custos?.close();
});

describe('a confirmation link through the gateway', () => {
  it('is mailed with PUBLIC_BASE_URL, shows its page and records the grant once, all through the gateway', async () => {
    const [contact] = await custos.sql<{ id: string; email: string }>(
      `insert into contact (id, full_name, email, created_at, updated_at)
       values (gen_random_uuid(), 'Link Person', 'link.person@example.org', now(), now()) returning id, email`,
    );
    const posted = await fetch(`${gateway.url}/public/consent`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        email: contact!.email,
        purpose: 'marketing',
        status: 'GRANTED',
        noticeVersion: '2026-01',
        source: 'footer form',
      }),
    });
    expect(posted.status).toBe(202);
    const outboxId = await until('the confirmation mail', async () => {
      const [row] = await custos.sql<{ id: string }>(
        "select id from mail_outbox where recipient = $1 and status = 'sent'",
        [contact!.email],
      );
      return row?.id;
    });
    const { links } = JSON.parse(
      await readFile(path.join(custos.dataDir, 'outbox', `${outboxId}.json`), 'utf8'),
    ) as { links: string[] };
    expect(links).toHaveLength(1);
    const link = new URL(links[0]!);
    expect(link.origin).toBe('https://privacy.example.com');
    expect(link.pathname).toBe('/public/consent/confirm');
    const token = link.searchParams.get('token')!;

    const page = await fetch(`${gateway.url}${link.pathname}${link.search}`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(await page.text()).toContain('Confirm my consent');
    const events = () =>
      custos.sql<{ status: string; verification: string | null }>(
        'select status, verification from consent_event where contact_id = $1',
        [contact!.id],
      );
    expect(await events()).toEqual([]);

    const confirm = () =>
      fetch(`${gateway.url}/public/consent/confirm`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token }).toString(),
      });
    const confirmed = await confirm();
    expect(confirmed.status).toBe(200);
    expect(await confirmed.text()).toContain('your consent is recorded');
    expect(await events()).toEqual([{ status: 'GRANTED', verification: 'EMAIL_CONFIRMATION' }]);
    expect((await confirm()).status).toBe(410);
    expect(await events()).toHaveLength(1);
  });
});
