import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/harness.js';

/**
 * `npm run consent:verify` as an operator runs it: the built command in its own process, against a Custos
 * database given by DATABASE_URL (the application role, as the services connect).
 */
const root = fileURLToPath(new URL('../../../../', import.meta.url));
const cli = path.join(root, 'apps/subgraph/dist/cli/verify-consent.js');

let server: TestServer;
let dataDir: string;

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function verify(args: string[] = [], env: Record<string, string> = {}): Promise<Run> {
  const { DATABASE_URL: _db, DATABASE_OWNER_URL: _owner, NODE_ENV: _env, ...inherited } = process.env;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [cli, ...args],
      {
        env: { ...inherited, CUSTOS_DATA_DIR: dataDir, DATABASE_URL: server.databaseUrl, ...env },
        timeout: 60_000,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const RECORD = 'mutation R($input: RecordConsentInput!) { recordConsent(input: $input) { id } }';

const eventCount = async (contactId?: string) =>
  (
    await server.sql<{ n: number }>(
      `select count(*)::int n from consent_event ${contactId ? 'where contact_id = $1' : ''}`,
      contactId ? [contactId] : [],
    )
  )[0]!.n;

/** Two contacts, each with a chain of at least two events recorded through the API. */
async function contactsWithChains(): Promise<[string, string]> {
  const rows = await server.sql<{ id: string }>(
    'select id from contact where erased_at is null order by id limit 2',
  );
  const token = await server.token(['support_agent']);
  for (const { id } of rows) {
    for (const status of ['GRANTED', 'WITHDRAWN']) {
      const res = await server.gql(RECORD, {
        token,
        variables: {
          input: {
            contactId: id,
            purpose: 'marketing',
            status,
            method: 'EMAIL',
            noticeVersion: '2026-01',
            evidence: { source: 'mailbox privacy@' },
          },
        },
      });
      expect(res.body.errors).toBeUndefined();
    }
  }
  return [rows[0]!.id, rows[1]!.id];
}

/** No name, email or other value of a person in what the command printed. */
async function expectNoPersonalData(run: Run): Promise<void> {
  const people = await server.sql<{ full_name: string; email: string }>(
    'select full_name, email from contact',
  );
  const output = run.stdout + run.stderr;
  expect(output).not.toMatch(/@/);
  for (const person of people) expect(output).not.toContain(person.full_name);
}

beforeAll(async () => {
  if (!existsSync(cli)) throw new Error('apps/subgraph is not built: run `npm test` (it builds first)');
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'custos-verify-'));
  // The demo seed writes its consents as ledger events.
  server = await startTestServer({ seedContacts: 30 });
});
afterAll(async () => {
  await server?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('npm run consent:verify', () => {
  it('checks the whole ledger and exits 0 when it holds', async () => {
    const events = await eventCount();
    expect(events).toBeGreaterThan(0);
    const run = await verify();
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('consent ledger (every contact): VALID');
    expect(run.stdout).toContain(`events checked:   ${events}\n`);
    expect(run.stdout).toContain('hash chain:       intact');
    await expectNoPersonalData(run);
  });

  it('checks one contact with --contact, without printing its id', async () => {
    const [contactId] = await contactsWithChains();
    const run = await verify(['--contact', contactId]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('consent ledger (one contact): VALID');
    expect(run.stdout).toContain(`events checked:   ${await eventCount(contactId)}\n`);
    expect(run.stdout).not.toContain(contactId);
  });

  it.each([
    ['an id that is no UUID', ['--contact', 'someone@example.org']],
    ['an unknown argument', ['--all']],
    ['--contact without a value', ['--contact']],
    [
      '--contact twice',
      [
        '--contact',
        '00000000-0000-4000-8000-000000000001',
        '--contact',
        '00000000-0000-4000-8000-000000000002',
      ],
    ],
  ])('exits 2 with the usage on %s', async (_what, args) => {
    const run = await verify(args);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('usage: npm run consent:verify');
    expect(run.stderr).not.toContain('someone@example.org');
  });

  it('exits 2 on a configuration error, and prints the usage for --help', async () => {
    const bad = await verify([], { DATABASE_URL: 'http://not-a-database' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('DATABASE_URL: must be a URL with scheme postgres or postgresql');
    const help = await verify(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('usage: npm run consent:verify');
  });

  it('exits 1 and names the first broken event when an event was edited, and counts a state past the ledger', async () => {
    const [edited, other] = await contactsWithChains();
    const [second] = await server.sql<{ id: string }>(
      'select id from consent_event where contact_id = $1 and seq = 2',
      [edited],
    );
    // Only the table's owner can take the guard off (here the superuser): the application role cannot.
    await server.sql('alter table consent_event disable trigger consent_event_no_update');
    try {
      await server.sql("update consent_event set recorded_by = 'someone-else' where id = $1", [second!.id]);
    } finally {
      await server.sql('alter table consent_event enable trigger consent_event_no_update');
    }
    const whole = await verify();
    expect(whole.code).toBe(1);
    expect(whole.stdout).toContain('consent ledger (every contact): BROKEN');
    expect(whole.stdout).toContain(`hash chain:       broken at event ${second!.id}`);
    await expectNoPersonalData(whole);
    const one = await verify(['--contact', edited]);
    expect(one.code).toBe(1);
    expect(one.stdout).toContain(`broken at event ${second!.id}`);
    // Another contact's chain still holds …
    expect((await verify(['--contact', other])).code).toBe(0);
    // … until its current state says something its ledger never did.
    await server.sql(
      `update consent_state s set status = case when s.status = 'GRANTED' then 'DENIED' else 'GRANTED' end
       where s.contact_id = $1 and s.purpose = (select min(purpose) from consent_state where contact_id = $1)`,
      [other],
    );
    const mismatch = await verify(['--contact', other]);
    expect(mismatch.code).toBe(1);
    expect(mismatch.stdout).toContain('hash chain:       intact');
    expect(mismatch.stdout).toMatch(/current states: +[1-9]\d* mismatch/);
  });
});

describe('npm run consent:verify on a database without the ledger', () => {
  it('exits 2: there is nothing to check until Custos has migrated it', async () => {
    // A database on the same server where the migrations never ran, reached as the same application role.
    const name = `custos_verify_${randomBytes(4).toString('hex')}`;
    await server.sql(`create database ${name}`);
    try {
      const url = new URL(server.databaseUrl);
      url.pathname = `/${name}`;
      const run = await verify([], { DATABASE_URL: url.toString() });
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain('not migrated');
    } finally {
      await server.sql(`drop database if exists ${name} with (force)`);
    }
  });
});
