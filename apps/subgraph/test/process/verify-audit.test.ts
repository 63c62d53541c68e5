import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/harness.js';

/**
 * `npm run audit:verify` as an operator runs it: the built command in its own process, on the server's
 * database (the application role) and its signed checkpoints.
 */
const root = fileURLToPath(new URL('../../../../', import.meta.url));
const cli = path.join(root, 'apps/subgraph/dist/cli/verify-audit.js');

let server: TestServer;

function verify(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const { DATABASE_URL: _db, DATABASE_OWNER_URL: _owner, NODE_ENV: _env, ...inherited } = process.env;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [cli],
      {
        env: { ...inherited, CUSTOS_DATA_DIR: server.dataDir, DATABASE_URL: server.databaseUrl },
        timeout: 60_000,
      },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
      },
    );
  });
}

beforeAll(async () => {
  server = await startTestServer({ seedContacts: 10 });
  const token = await server.token(['support_agent'], 'cli-reader');
  for (let i = 0; i < 3; i++)
    await server.gql('{ contacts(first: 5) { nodes { fullName email } } }', { token });
  await server.flushAudit(); // stores the events and writes a signed checkpoint of the head
});
afterAll(() => server?.close());

describe('npm run audit:verify', () => {
  it('reports a valid trail with its checkpoints, naming nobody', async () => {
    const run = await verify();
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/audit trail: VALID/);
    expect(run.stdout).toMatch(/events checked: +3/);
    expect(run.stdout).toMatch(/checkpoints: +1 signed/);
    expect(run.stdout).not.toMatch(/cli-reader|@/);
  });

  it('exits 1 and says which batch when an event was edited', async () => {
    const [event] = await server.sql<{ id: string; batch_seq: string }>(
      'select id, batch_seq from audit_event limit 1',
    );
    await server.sql('alter table audit_event disable trigger audit_event_no_update');
    try {
      await server.sql("update audit_event set actor_sub = 'someone-else' where id = $1", [event!.id]);
    } finally {
      await server.sql('alter table audit_event enable trigger audit_event_no_update');
    }
    const run = await verify();
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/audit trail: BROKEN/);
    expect(run.stdout).toContain(`batch ${event!.batch_seq} was altered`);
    expect(run.stdout).not.toMatch(/someone-else|cli-reader/);
  });
});
