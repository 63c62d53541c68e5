import { createHmac } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createLogger, loadConfig } from '@custos/subgraph/kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postGraphQL, startTestServer, type TestServer } from '../../subgraph/test/support/harness.js';
import { type RunningTickets, startTickets } from '../src/bootstrap.js';

/** The tickets subgraph audits its refused requests like Custos: aggregated, in the same chain. */
let custos: TestServer;
let tickets: RunningTickets;

beforeAll(async () => {
  custos = await startTestServer({ seedContacts: 1 });
  tickets = await startTickets(
    loadConfig(
      {
        NODE_ENV: 'test',
        DATABASE_URL: custos.databaseUrl,
        DATABASE_OWNER_URL: custos.databaseOwnerUrl,
        CUSTOS_DATA_DIR: custos.dataDir,
        PORT: '0',
        SEED_CONTACTS: '0',
        DB_POOL_MAX: '2',
        AUTH_JWKS_URL: `${custos.baseUrl}/.well-known/jwks.json`,
      },
      { port: 4002 },
    ),
    createLogger('silent'),
  );
});
afterAll(async () => {
  await tickets?.stop();
  await custos?.close();
});

describe('tickets subgraph refusals', () => {
  it('are audited with the service, the subject or the keyed client hash, and counted', async () => {
    const url = `${tickets.url}/graphql`;
    const query = '{ __typename }';
    const analyst = await custos.token(['analyst'], 'tickets-refused');
    for (let i = 0; i < 3; i++) {
      expect((await postGraphQL(url, query, { token: analyst, purpose: 'sales' })).status).toBe(403);
    }
    expect((await postGraphQL(url, query, { token: null })).status).toBe(401);
    await tickets.flushAudit();
    const key = (await readFile(path.join(custos.dataDir, 'keys', 'audit-hmac.key'), 'utf8')).trim();
    const client = `client:${createHmac('sha256', key).update('127.0.0.1').digest('hex').slice(0, 32)}`;
    const rows = await custos.sql(
      `select service, actor_sub, actor_roles, purpose, outcome, refusal_reason, refusals from audit_event
        where operation_type = 'request' order by actor_sub`,
    );
    expect(rows).toEqual(
      [
        {
          service: 'tickets',
          actor_sub: client,
          actor_roles: [],
          purpose: null,
          outcome: 'UNAUTHENTICATED',
          refusal_reason: 'TOKEN_MISSING',
          refusals: 1,
        },
        {
          service: 'tickets',
          actor_sub: 'tickets-refused',
          actor_roles: ['analyst'],
          purpose: 'sales',
          outcome: 'FORBIDDEN',
          refusal_reason: 'PURPOSE_NOT_HELD',
          refusals: 3,
        },
      ].sort((a, b) => (a.actor_sub < b.actor_sub ? -1 : 1)),
    );
  });
});
