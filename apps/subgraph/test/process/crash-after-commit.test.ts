import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@custos/database';
import { loadOrCreateDevKeys, signDevToken } from '@custos/runtime';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ended, type ProcessDatabase, processDatabase } from '../support/process.js';

/**
 * A committed change always has its audit event, even when the process dies right after the commit: the built
 * subgraph, in its own process, runs a mutation and is SIGKILLed between the commit and the answer (the test-only
 * CUSTOS_TEST_CRASH_AFTER_COMMIT, refused in production). After a restart the event is in the chain exactly once,
 * and `npm run audit:verify` finds the chain valid.
 */
const root = fileURLToPath(new URL('../../../../', import.meta.url));
const main = path.join(root, 'apps/subgraph/dist/main.js');
const verifyCli = path.join(root, 'apps/subgraph/dist/cli/verify-audit.js');

let fixture: ProcessDatabase;

beforeAll(async () => {
  if (!existsSync(main)) throw new Error('apps/subgraph is not built: run `npm test` (it builds first)');
  fixture = await processDatabase(inject('adminUrl'), 'custos-crash-');
});

afterAll(async () => {
  await fixture?.drop();
});

const sql = async <T extends pg.QueryResultRow>(text: string, params: unknown[] = []) =>
  (await fixture.db.query<T>(text, params)).rows;

/** The chained events of the operation, with the contacts (by id) their accesses name. */
const eventsOf = (operationName: string) =>
  sql<{ id: string; outcome: string; operation_type: string; actor_sub: string; contacts: string[] }>(
    `select e.id, e.outcome, e.operation_type, e.actor_sub,
            array(select s.contact_id::text from audit_access a join audit_subject_set ss on ss.digest = a.subject_set
                    cross join unnest(ss.subjects) as p(pseudonym) join audit_subject s on s.pseudonym = p.pseudonym
                   where a.event_id = e.id) as contacts
       from audit_event e where e.operation_name = $1`,
    [operationName],
  );

describe('a mutation whose process is killed right after its commit', () => {
  it('keeps its event: chained exactly once after a restart, and the chain verifies', async () => {
    const port = await freePort();
    const crashing = await fixture.start(main, port, { CUSTOS_TEST_CRASH_AFTER_COMMIT: '1' });
    const [contact] = await sql<{ id: string; full_name: string }>(
      'select id, full_name from contact order by id limit 1',
    );
    expect(contact).toBeDefined();
    const newName = `Renamed ${randomBytes(4).toString('hex')}`;
    const token = await signDevToken(await loadOrCreateDevKeys(fixture.dataDir), {
      sub: 'crash-tester',
      roles: ['support_agent'],
      ttlSeconds: 600,
    });
    const answer = await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'x-purpose': 'customer_support',
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        query:
          'mutation CrashRename($id: ID!, $name: String!) { updateContact(id: $id, input: { fullName: $name }) { id } }',
        variables: { id: contact!.id, name: newName },
      }),
    }).then(
      (r) => r.status,
      () => 'no answer',
    );
    // Killed after the commit, before the answer.
    expect(answer).toBe('no answer');
    expect(await ended(crashing)).toEqual({ code: null, signal: 'SIGKILL' });
    const [changed] = await sql<{ full_name: string }>('select full_name from contact where id = $1', [
      contact!.id,
    ]);
    expect(changed!.full_name).toBe(newName);
    // Its event committed with it, in the outbox; nothing chained it yet.
    expect(await sql('select id from audit_pending')).toHaveLength(1);
    expect(await eventsOf('CrashRename')).toEqual([]);

    // A restart (no crash hook) chains what the killed process left.
    const restarted = await fixture.start(main, port);
    const deadline = Date.now() + 20_000;
    while ((await eventsOf('CrashRename')).length === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const events = await eventsOf('CrashRename');
    expect(events).toEqual([
      {
        id: expect.any(String),
        outcome: 'OK',
        operation_type: 'mutation',
        actor_sub: 'crash-tester',
        contacts: [contact!.id],
      },
    ]);
    expect(await sql('select id from audit_pending')).toEqual([]);
    restarted.kill('SIGTERM');
    expect(await ended(restarted)).toEqual({ code: 0, signal: null });

    const verified = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      execFile(process.execPath, [verifyCli], { env: fixture.env({}), timeout: 60_000 }, (error, stdout) =>
        resolve({ code: error ? (error.code as number) : 0, stdout }),
      );
    });
    expect(verified.stdout).toMatch(/audit trail: VALID/);
    expect(verified.code).toBe(0);
    // Still once after the restart's own shutdown flush and a verification.
    expect(await eventsOf('CrashRename')).toHaveLength(1);
  });
});
