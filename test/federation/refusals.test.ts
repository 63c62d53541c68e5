import { createHmac } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Federation, type StartedGateway, startFederation } from './support/federation.js';

/**
 * The gateway refuses a bad token (401) or purpose (403) at the edge, before any subgraph sees the request: it
 * audits those refusals itself, through the subgraphs' audit writer (service `gateway`), into the same chain —
 * aggregated like theirs, and counted once although its direct path tried the token first.
 */
let federation: Federation;
let gateway: StartedGateway;

beforeAll(async () => {
  federation = await startFederation({ seedContacts: 2 });
  gateway = await federation.startGateway({
    DATABASE_URL: federation.custos.databaseUrl,
    CUSTOS_DATA_DIR: federation.custos.dataDir,
  });
});
afterAll(() => federation?.close());

describe('refusals at the gateway', () => {
  it('are audited with service gateway, never reach a subgraph, and each counts once', async () => {
    const before = Object.values(federation.recorders).reduce((n, r) => n + r.requests.length, 0);
    const query = '{ contacts(first: 1) { nodes { id } } }';
    const analyst = await federation.custos.token(['analyst'], 'edge-refused');
    for (let i = 0; i < 4; i++) {
      expect((await gateway.gql(query, { token: analyst, purpose: 'customer_support' })).status).toBe(403);
    }
    for (let i = 0; i < 2; i++) expect((await gateway.gql(query, { token: 'x.y.z' })).status).toBe(401);
    expect(Object.values(federation.recorders).reduce((n, r) => n + r.requests.length, 0)).toBe(before);
    await gateway.flushAudit();

    const key = (
      await readFile(path.join(federation.custos.dataDir, 'keys', 'audit-hmac.key'), 'utf8')
    ).trim();
    const client = `client:${createHmac('sha256', key).update('127.0.0.1').digest('hex').slice(0, 32)}`;
    const rows = await federation.custos.sql(
      `select service, actor_sub, actor_roles, purpose, outcome, refusal_reason, refusals from audit_event
        where operation_type = 'request' order by actor_sub`,
    );
    expect(rows).toEqual(
      [
        {
          service: 'gateway',
          actor_sub: client,
          actor_roles: [],
          purpose: null,
          outcome: 'UNAUTHENTICATED',
          refusal_reason: 'TOKEN_INVALID',
          refusals: 2,
        },
        {
          service: 'gateway',
          actor_sub: 'edge-refused',
          actor_roles: ['analyst'],
          purpose: 'customer_support',
          outcome: 'FORBIDDEN',
          refusal_reason: 'PURPOSE_NOT_HELD',
          refusals: 4,
        },
      ].sort((a, b) => (a.actor_sub < b.actor_sub ? -1 : 1)),
    );
  });

  it('without DATABASE_URL in development, says at start that they are not audited', () => {
    expect(federation.gateway.logs.some((line) => line.includes('are NOT audited'))).toBe(true);
    expect(gateway.logs.some((line) => line.includes('are NOT audited'))).toBe(false);
  });
});
