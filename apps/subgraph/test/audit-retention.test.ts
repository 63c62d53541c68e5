import { pruneAuditLog } from '@custos/audit';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support/harness.js';

/**
 * The audit log's own retention: the owner removes whole batches from the chain's oldest end and leaves an
 * anchor; what remains — and what is written after — still verifies, checkpoints included.
 */
let server: TestServer;
let officer: string;

const VERIFY = '{ verifyAuditLog { valid batches events headSeq problem } }';
type Check = { valid: boolean; batches: number; events: number; headSeq: number; problem: string | null };
const verify = async () =>
  (await server.gql<{ verifyAuditLog: Check }>(VERIFY, { token: officer, purpose: 'compliance' })).body.data!
    .verifyAuditLog;

async function read(actor: string, times: number): Promise<void> {
  const token = await server.token(['support_agent'], actor);
  for (let i = 0; i < times; i++) {
    await server.gql('{ contacts(first: 2) { nodes { fullName } } }', { token });
    await server.flushAudit(); // one batch each
  }
}

const eventsBy = async (actor: string) =>
  (
    await server.sql<{ n: number }>('select count(*)::int n from audit_event where actor_sub = $1', [actor])
  )[0]!.n;

beforeAll(async () => {
  server = await startTestServer({ seedContacts: 5 });
  officer = await server.token(['privacy_officer'], 'retention-officer');
});
afterAll(() => server?.close());

describe('audit retention', () => {
  it('removes the oldest batches, leaves an anchor, and the rest still verifies', async () => {
    await read('old-reader', 3);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const cutoff = new Date();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await read('new-reader', 2);
    const before = await verify();
    expect(before.valid).toBe(true);

    const result = await pruneAuditLog(server.databaseOwnerUrl, cutoff);
    expect(result.batches).toBeGreaterThanOrEqual(3);
    expect(result.anchorSeq).not.toBeNull();
    expect(await eventsBy('old-reader')).toBe(0);
    expect(await eventsBy('new-reader')).toBe(2);

    const after = await verify();
    expect(after).toMatchObject({ valid: true, problem: null });
    expect(after.batches).toBe(before.batches - result.batches + 1); // + the batch of the first verify request
    // New events link to what remains.
    await read('new-reader', 1);
    expect(await verify()).toMatchObject({ valid: true, problem: null });
  });

  it('keeps the chain going when everything was removed (the writer continues from the anchor)', async () => {
    await server.flushAudit();
    const result = await pruneAuditLog(server.databaseOwnerUrl, new Date(Date.now() + 1000));
    expect(result.batches).toBeGreaterThan(0);
    expect((await server.sql<{ n: number }>('select count(*)::int n from audit_batch'))[0]!.n).toBe(0);
    await read('after-everything', 1);
    const check = await verify();
    expect(check).toMatchObject({ valid: true, problem: null });
    expect(check.headSeq).toBeGreaterThan(result.anchorSeq!);
  });

  it('is the owner’s alone: the application role may not remove audit rows', async () => {
    const app = new pg.Client({ connectionString: server.databaseUrl });
    await app.connect();
    try {
      await expect(app.query('delete from audit_event')).rejects.toThrow(/permission denied/);
      await expect(
        app.query('alter table audit_event disable trigger audit_event_no_update'),
      ).rejects.toThrow(/must be owner/);
      await expect(
        app.query("insert into audit_anchor values (999, repeat('0', 64), now(), now(), 0, 0)"),
      ).rejects.toThrow(/permission denied/);
    } finally {
      await app.end();
    }
  });
});
