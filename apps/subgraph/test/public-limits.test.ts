import { ConfigError, loadConfig } from '@custos/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Running, start } from '../src/bootstrap.js';
import { captureLogs, startTestServer, type TestServer } from './support/harness.js';

/**
 * The data-subject endpoint's rate limit (issue 14, "limits that hold"): one budget per client address shared by
 * every instance (counted in PostgreSQL), keyed by the address a trusted proxy names — and by no address a client
 * writes itself. The table holds keyed hashes, never an address.
 */
const LIMIT = 4;
const DENIAL = { email: 'nobody-in-particular@example.org', purpose: 'marketing', status: 'DENIED' };

let server: TestServer;
let second: Running;

const post = (baseUrl: string, headers: Record<string, string> = {}) =>
  fetch(`${baseUrl}/public/consent`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(DENIAL),
  }).then(async (res) => ({
    status: res.status,
    retryAfter: res.headers.get('retry-after'),
    body: await res.text(),
  }));

beforeAll(async () => {
  // The test's own requests come from loopback: it is the trusted proxy here.
  const env = { PUBLIC_RATE_LIMIT_PER_MINUTE: String(LIMIT), TRUSTED_PROXIES: '127.0.0.1, ::1' };
  server = await startTestServer({ env });
  // A second instance of the subgraph on the same database, with the same keys: what a scaled deployment runs.
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: server.databaseUrl,
    DATABASE_OWNER_URL: server.databaseOwnerUrl,
    PORT: '0',
    CUSTOS_DATA_DIR: server.dataDir,
    DB_POOL_MAX: '2',
    ...env,
  });
  second = await start(config, captureLogs().logger);
});

afterAll(async () => {
  await second?.stop();
  await server?.close();
});

describe('the public endpoint’s rate limit', () => {
  it('is one budget per client shared by two instances, and another client keeps its own', async () => {
    const client = { 'x-forwarded-for': '203.0.113.10' };
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT; i++) {
      // Alternating instances: each alone would allow LIMIT, together they allow LIMIT.
      statuses.push((await post(i % 2 === 0 ? server.baseUrl : second.url, client)).status);
    }
    const refused = await post(second.url, client);
    const refusedToo = await post(server.baseUrl, client);
    expect(statuses).toEqual(Array(LIMIT).fill(202));
    expect([refused.status, refusedToo.status]).toEqual([429, 429]);
    expect(Number(refused.retryAfter)).toBeGreaterThan(0);
    expect(Number(refused.retryAfter)).toBeLessThanOrEqual(60);
    expect(JSON.parse(refused.body).errors[0].extensions.code).toBe('RATE_LIMITED');
    // Both ways: a different client (as the proxy names it) is not held back by the first one's budget.
    expect((await post(second.url, { 'x-forwarded-for': '203.0.113.11' })).status).toBe(202);
  });

  it('reads the client from X-Forwarded-For right to left, past trusted proxies only', async () => {
    // The client wrote a first address itself; the trusted proxy appended the one it saw (the last): that counts.
    const spoofing = (n: number) => ({ 'x-forwarded-for': `198.51.100.${n}, 203.0.113.20` });
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT + 1; i++) statuses.push((await post(server.baseUrl, spoofing(i))).status);
    expect(statuses).toEqual([...Array(LIMIT).fill(202), 429]);
  });

  it('stores keyed hashes of client addresses, never an address', async () => {
    const rows = await server.sql<{ key: string; points: number }>('select key, points from rate_limit');
    // The requests above were counted here (both instances), under keys that name no address.
    expect(rows.length).toBeGreaterThanOrEqual(3);
    expect(rows.reduce((sum, row) => sum + row.points, 0)).toBeGreaterThanOrEqual(2 * LIMIT + 3);
    for (const { key } of rows) {
      expect(key).toMatch(/^public:[A-Za-z0-9_-]{43}$/);
      expect(key).not.toMatch(/203|198|127\.0|::1/);
    }
  });
});

describe('without trusted proxies', () => {
  let untrusting: TestServer;
  beforeAll(async () => {
    untrusting = await startTestServer({ env: { PUBLIC_RATE_LIMIT_PER_MINUTE: String(LIMIT) } });
  });
  afterAll(() => untrusting?.close());

  it('ignores X-Forwarded-For: a client cannot buy itself budgets by naming other addresses', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT + 1; i++) {
      statuses.push((await post(untrusting.baseUrl, { 'x-forwarded-for': `203.0.113.${100 + i}` })).status);
    }
    expect(statuses).toEqual([...Array(LIMIT).fill(202), 429]);
  });
});

describe('TRUSTED_PROXIES', () => {
  it('refuses an entry that is not an address or a CIDR block, by position, never echoing it', () => {
    for (const value of ['10.0.0.0/33', 'proxy.internal', '10.0.0.1/8/1', '::1/129', '10.0.0.1, bogus-zq9']) {
      const error = (() => {
        try {
          loadConfig({ NODE_ENV: 'test', TRUSTED_PROXIES: value });
        } catch (e) {
          return e;
        }
      })();
      expect(error, value).toBeInstanceOf(ConfigError);
      expect(String((error as Error).message), value).toMatch(
        /TRUSTED_PROXIES: entry \d must be an IP address or a CIDR block/,
      );
      expect(String((error as Error).message), value).not.toMatch(/33|proxy\.internal|\/8\/1|129|bogus-zq9/);
    }
    // And accepts addresses and blocks of both families.
    expect(() =>
      loadConfig({ NODE_ENV: 'test', TRUSTED_PROXIES: '10.0.0.0/8, 192.168.1.7, ::1, fd00::/8' }),
    ).not.toThrow();
  });
});
