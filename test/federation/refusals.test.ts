import { createHmac } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { AUDIT_WRITER_GRANTS } from '@custos/audit';
import { createLogger, prepareSharedRole } from '@custos/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postGraphQL } from '../../apps/subgraph/test/support/harness.js';
import { type Federation, type StartedGateway, startFederation } from './support/federation.js';

/**
 * Refused requests are audited by the service that refuses them, aggregated, in the one chain: the tickets
 * subgraph like Custos (apps/subgraph/test/audit-refusals.test.ts), and the gateway for what it refuses at the
 * edge — before any subgraph sees the request — through the subgraphs' audit writer (service `gateway`), as its
 * own database role (README: database roles), counted once although its direct path tried the token first.
 */
let federation: Federation;
let gateway: StartedGateway;
const QUERY = '{ __typename }';

beforeAll(async () => {
  federation = await startFederation({ seedContacts: 2, tickets: true });
  // As `npm start` runs it: its own role, granted the audit writer's privileges by the launcher (which holds the
  // owner), and the gateway given that role alone — no owner's URL.
  await prepareSharedRole(
    { url: federation.custos.gatewayDatabaseUrl, ownerUrl: federation.custos.databaseOwnerUrl },
    AUDIT_WRITER_GRANTS,
    { production: false, logger: createLogger('silent') },
  );
  gateway = await federation.startGateway({
    DATABASE_URL: federation.custos.gatewayDatabaseUrl,
    CUSTOS_DATA_DIR: federation.custos.dataDir,
  });
});
afterAll(() => federation?.close());

/** The refusal events of `service`, by actor. */
const refusalsOf = (service: string) =>
  federation.custos.sql(
    `select actor_sub, actor_roles, purpose, outcome, refusal_reason, refusals from audit_event
      where operation_type = 'request' and service = $1 order by actor_sub`,
    [service],
  );

/** What the events must say: a 403 caller's, then the client's (its actor computed here from the key). */
async function expected(
  forbidden: { sub: string; role: string; purpose: string; n: number },
  unauthenticated: { reason: string; n: number },
) {
  const key = (await readFile(path.join(federation.custos.dataDir, 'keys', 'audit-hmac.key'), 'utf8')).trim();
  const client = `client:${createHmac('sha256', key).update('127.0.0.1').digest('hex').slice(0, 32)}`;
  return [
    {
      actor_sub: client,
      actor_roles: [],
      purpose: null,
      outcome: 'UNAUTHENTICATED',
      refusal_reason: unauthenticated.reason,
      refusals: unauthenticated.n,
    },
    {
      actor_sub: forbidden.sub,
      actor_roles: [forbidden.role],
      purpose: forbidden.purpose,
      outcome: 'FORBIDDEN',
      refusal_reason: 'PURPOSE_NOT_HELD',
      refusals: forbidden.n,
    },
  ].sort((a, b) => (a.actor_sub < b.actor_sub ? -1 : 1));
}

describe('refused requests across the federation', () => {
  it('the tickets subgraph audits its own, with the subject or the keyed client hash, counted', async () => {
    const url = `${federation.tickets!.url}/graphql`;
    const analyst = await federation.custos.token(['analyst'], 'tickets-refused');
    for (let i = 0; i < 3; i++) {
      expect((await postGraphQL(url, QUERY, { token: analyst, purpose: 'sales' })).status).toBe(403);
    }
    expect((await postGraphQL(url, QUERY, { token: null })).status).toBe(401);
    await federation.tickets!.flushAudit();
    expect(await refusalsOf('tickets')).toEqual(
      await expected(
        { sub: 'tickets-refused', role: 'analyst', purpose: 'sales', n: 3 },
        { reason: 'TOKEN_MISSING', n: 1 },
      ),
    );
  });

  it('the gateway audits what it refuses at the edge, which never reaches a subgraph, each once', async () => {
    const sent = () => Object.values(federation.recorders).reduce((n, r) => n + r.requests.length, 0);
    const before = sent();
    const analyst = await federation.custos.token(['analyst'], 'edge-refused');
    for (let i = 0; i < 4; i++) {
      expect((await gateway.gql(QUERY, { token: analyst, purpose: 'customer_support' })).status).toBe(403);
    }
    for (let i = 0; i < 2; i++) expect((await gateway.gql(QUERY, { token: 'x.y.z' })).status).toBe(401);
    expect(sent()).toBe(before);
    await gateway.flushAudit();
    expect(await refusalsOf('gateway')).toEqual(
      await expected(
        { sub: 'edge-refused', role: 'analyst', purpose: 'customer_support', n: 4 },
        { reason: 'TOKEN_INVALID', n: 2 },
      ),
    );
  });

  it('a gateway without DATABASE_URL in development says at start that its refusals are not audited', () => {
    expect(federation.gateway.logs.some((line) => line.includes('are NOT audited'))).toBe(true);
    expect(gateway.logs.some((line) => line.includes('are NOT audited'))).toBe(false);
  });

  it('a gateway on Custos’ application role in development warns that the role reaches more, naming no URL', async () => {
    const warned = await federation.startGateway({
      DATABASE_URL: federation.custos.databaseUrl,
      CUSTOS_DATA_DIR: federation.custos.dataDir,
    });
    const warning = warned.logs.find((line) => line.includes('a role of its own'));
    expect(warning).toMatch(/contact: SELECT/);
    expect(warning).not.toMatch(/postgres(ql)?:\/\//);
    // On its own role it has nothing of the kind to say.
    expect(gateway.logs.some((line) => line.includes('a role of its own'))).toBe(false);
  });
});
