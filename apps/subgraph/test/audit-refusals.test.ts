import { createHmac } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { signDevToken } from '@custos/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode, type GqlResponse, startTestServer, type TestServer } from './support/harness.js';

/**
 * Refused requests (HTTP 401, 403) are audited, aggregated: one event per (kind, actor, purpose, reason) per
 * window, counting its refusals; a 403 names the token's subject, a 401 only a keyed hash of the client address.
 * A flood of distinct callers fills at most the configured keys per window, the rest one overflow event.
 */
let server: TestServer;
let flood: TestServer;

const READ = '{ contacts(first: 1) { nodes { id } } }';

interface RefusalRow {
  actor_sub: string;
  actor_roles: string[];
  purpose: string | null;
  outcome: string;
  operation_type: string;
  refusal_reason: string;
  refusals: number;
  request_id: string;
  subjects: number;
  first: Date;
  last: Date;
}

const refusalsIn = (on: TestServer) =>
  on.sql<RefusalRow>(
    `select actor_sub, actor_roles, purpose, outcome, operation_type, refusal_reason, refusals, request_id, subjects,
            occurred_at as first, last_refused_at as last
       from audit_event where operation_type = 'request' order by actor_sub, refusal_reason`,
  );

/** The 401 actor, computed here from the development key and the loopback address the test connects from. */
async function clientActor(on: TestServer): Promise<string> {
  const key = (await readFile(path.join(on.dataDir, 'keys', 'audit-hmac.key'), 'utf8')).trim();
  return `client:${createHmac('sha256', key).update('127.0.0.1').digest('hex').slice(0, 32)}`;
}

beforeAll(async () => {
  [server, flood] = await Promise.all([
    startTestServer({ seedContacts: 3 }),
    startTestServer({ seedContacts: 1, env: { AUDIT_REFUSAL_KEYS: '3' } }),
  ]);
});
afterAll(async () => {
  await Promise.all([server?.close(), flood?.close()]);
});

describe('refused requests in the audit trail', () => {
  let notHeld: GqlResponse[];
  let unknownPurpose: GqlResponse[];
  let noToken: GqlResponse[];
  let malformed: GqlResponse[];
  let expired: GqlResponse;

  beforeAll(async () => {
    const marketer = await server.token(['marketer'], 'refused-marketer');
    const sequential = async (n: number, send: () => Promise<GqlResponse>) => {
      const out: GqlResponse[] = [];
      for (let i = 0; i < n; i++) out.push(await send());
      return out;
    };
    notHeld = await sequential(7, () => server.gql(READ, { token: marketer, purpose: 'sales' }));
    unknownPurpose = await sequential(2, () =>
      server.gql(READ, { token: marketer, purpose: 'zz-marker-purpose' }),
    );
    noToken = await sequential(3, () => server.gql(READ, { token: null }));
    malformed = await sequential(2, () => server.gql(READ, { token: 'not-a-jwt-marker' }));
    const stale = await signDevToken(server.keys, {
      sub: 'expired-subject',
      roles: ['support_agent'],
      ttlSeconds: 60,
      now: new Date(Date.now() - 3_600_000),
    });
    expired = await server.gql(READ, { token: stale });
    // A request that is not refused leaves no refusal event.
    expect((await server.gql(READ)).status).toBe(200);
    await server.flushAudit();
    await server.flushAudit(); // alerts are written with the transaction after the batch that raised them
  });

  it('answers every refusal as before', () => {
    for (const r of [...notHeld, ...unknownPurpose])
      expect([r.status, errorCode(r)]).toEqual([403, 'FORBIDDEN']);
    for (const r of [...noToken, ...malformed, expired]) {
      expect([r.status, errorCode(r)]).toEqual([401, 'UNAUTHENTICATED']);
    }
  });

  it('records one event per actor, purpose and reason, with the count, the first request id and the times', async () => {
    const client = await clientActor(server);
    const rows = await refusalsIn(server);
    const expected = [
      {
        actor: client,
        roles: [],
        purpose: null,
        outcome: 'UNAUTHENTICATED',
        reason: 'TOKEN_EXPIRED',
        first: expired,
      },
      {
        actor: client,
        roles: [],
        purpose: null,
        outcome: 'UNAUTHENTICATED',
        reason: 'TOKEN_MALFORMED',
        first: malformed[0]!,
        n: 2,
      },
      {
        actor: client,
        roles: [],
        purpose: null,
        outcome: 'UNAUTHENTICATED',
        reason: 'TOKEN_MISSING',
        first: noToken[0]!,
        n: 3,
      },
      {
        actor: 'refused-marketer',
        roles: ['marketer'],
        purpose: 'sales',
        outcome: 'FORBIDDEN',
        reason: 'PURPOSE_NOT_HELD',
        first: notHeld[0]!,
        n: 7,
      },
      {
        actor: 'refused-marketer',
        roles: ['marketer'],
        purpose: null,
        outcome: 'FORBIDDEN',
        reason: 'PURPOSE_UNKNOWN',
        first: unknownPurpose[0]!,
        n: 2,
      },
    ].sort((a, b) => (a.actor === b.actor ? (a.reason < b.reason ? -1 : 1) : a.actor < b.actor ? -1 : 1));
    expect(rows.map(({ first: _f, last: _l, ...row }) => row)).toEqual(
      expected.map((e) => ({
        actor_sub: e.actor,
        actor_roles: e.roles,
        purpose: e.purpose,
        outcome: e.outcome,
        operation_type: 'request',
        refusal_reason: e.reason,
        refusals: e.n ?? 1,
        request_id: e.first.headers.get('x-request-id'),
        subjects: 0,
      })),
    );
    for (const row of rows) expect(row.last.getTime()).toBeGreaterThanOrEqual(row.first.getTime());
    // Never the submitted values, nor the address itself.
    const stored = JSON.stringify(await server.sql('select * from audit_event'));
    expect(stored).not.toMatch(/marker|127\.0\.0\.1|expired-subject/);
  });

  it('lets FORBIDDEN_REPEATED see them, counting what each event stands for', async () => {
    const alerts = await server.sql<{ actor_sub: string; details: { refusals: number } }>(
      "select actor_sub, details from audit_alert where rule_id = 'forbidden-burst' order by actor_sub",
    );
    // forbidden-burst: 5 in 5 minutes, once per quiet period, on the event that reaches the limit. In window
    // order the marketer's first event holds 7; the client's 3 (no token) and 2 (malformed) reach 5.
    const expected = [
      { actor_sub: await clientActor(server), refusals: 5 },
      { actor_sub: 'refused-marketer', refusals: 7 },
    ].sort((x, y) => (x.actor_sub < y.actor_sub ? -1 : 1));
    expect(alerts.map((a) => ({ actor_sub: a.actor_sub, refusals: a.details.refusals }))).toEqual(expected);
  });

  it("shows them to the privacy officer's audit queries, by actor, with their counts", async () => {
    const officer = await server.token(['privacy_officer'], 'officer');
    const res = await server.gql<{
      auditEvents: { nodes: Record<string, unknown>[] };
    }>(
      `query($actor: String) { auditEvents(actor: $actor) { nodes {
         actor operationType outcome purpose refusalReason refusals lastRefusedAt requestId } } }`,
      { token: officer, purpose: 'compliance', variables: { actor: 'refused-marketer' } },
    );
    expect(res.body.errors).toBeUndefined();
    const rows = await refusalsIn(server);
    const mine = rows.filter((r) => r.actor_sub === 'refused-marketer');
    expect(
      [...res.body.data!.auditEvents.nodes].sort((x, y) =>
        String(x.refusalReason) < String(y.refusalReason) ? -1 : 1,
      ),
    ).toEqual(
      mine.map((r) => ({
        actor: 'refused-marketer',
        operationType: 'request',
        outcome: 'FORBIDDEN',
        purpose: r.purpose,
        refusalReason: r.refusal_reason,
        refusals: r.refusals,
        lastRefusedAt: r.last.toISOString(),
        requestId: r.request_id,
      })),
    );
    expect(mine.map((r) => r.refusals)).toEqual([7, 2]);
  });

  it('keeps the chain valid', async () => {
    const officer = await server.token(['privacy_officer'], 'officer');
    const check = await server.gql<{ verifyAuditLog: { valid: boolean; problem: string | null } }>(
      '{ verifyAuditLog { valid problem } }',
      { token: officer, purpose: 'compliance' },
    );
    expect(check.body.data!.verifyAuditLog).toEqual({ valid: true, problem: null });
  });
});

describe('a flood of refusals', () => {
  it('holds at most the configured keys per window; the rest is one overflow event that counts them', async () => {
    const callers = ['flood-a', 'flood-b', 'flood-c', 'flood-d', 'flood-e', 'flood-f'];
    for (const sub of callers) {
      const token = await flood.token(['marketer'], sub);
      for (let i = 0; i < 2; i++)
        expect((await flood.gql(READ, { token, purpose: 'sales' })).status).toBe(403);
    }
    await flood.flushAudit();
    const rows = await refusalsIn(flood);
    // AUDIT_REFUSAL_KEYS=3: the first three callers keep their own event, the other three share one.
    expect(rows.map((r) => [r.actor_sub, r.refusal_reason, r.refusals])).toEqual([
      ['flood-a', 'PURPOSE_NOT_HELD', 2],
      ['flood-b', 'PURPOSE_NOT_HELD', 2],
      ['flood-c', 'PURPOSE_NOT_HELD', 2],
      ['refusals:overflow', 'OVERFLOW', 6],
    ]);
    expect(rows.reduce((sum, r) => sum + r.refusals, 0)).toBe(callers.length * 2);
    // The next window starts empty: a caller seen before gets its own event again.
    const again = await flood.token(['marketer'], 'flood-f');
    expect((await flood.gql(READ, { token: again, purpose: 'sales' })).status).toBe(403);
    await flood.flushAudit();
    const next = await refusalsIn(flood);
    expect(next.filter((r) => r.actor_sub === 'flood-f').map((r) => r.refusals)).toEqual([1]);
    expect(next).toHaveLength(5);
  });
});
