import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort } from '@custos/database';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StartedProcess, startBuiltProcess } from '../support/process.js';

/**
 * `npm start` as a user runs it: the built subgraph in its own process, no DATABASE_URL (so the embedded
 * PostgreSQL under the data folder), a token from the token command, then SIGTERM.
 */
const root = fileURLToPath(new URL('../../../../', import.meta.url));
const main = path.join(root, 'apps/subgraph/dist/main.js');
const tokenCli = path.join(root, 'apps/subgraph/dist/cli/token.js');
const run = promisify(execFile);

let dataDir: string;
beforeAll(async () => {
  if (!existsSync(main)) throw new Error('apps/subgraph is not built: run `npm test` (it builds first)');
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'custos-start-'));
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

function baseEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const { DATABASE_URL: _db, NODE_ENV: _env, ...env } = process.env;
  return { ...env, CUSTOS_DATA_DIR: dataDir, LOG_LEVEL: 'info', CUSTOS_BANNER: '0', ...extra };
}

function startProcess(port: number): Promise<StartedProcess> {
  return startBuiltProcess(main, baseEnv({ PORT: String(port), SEED_CONTACTS: '25' }), port);
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
}

async function totalCount(port: number): Promise<number> {
  const { stdout } = await run(process.execPath, [tokenCli, '--sub', 'e2e', '--role', 'support_agent'], {
    env: baseEnv(),
  });
  const token = stdout.trim().split('\n').pop()!;
  expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
  const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'x-purpose': 'customer_support',
      'content-type': 'application/json',
    },
    body: JSON.stringify({ query: '{ contacts(first: 1) { totalCount } }' }),
  });
  const body = (await res.json()) as { data: { contacts: { totalCount: number } } };
  return body.data.contacts.totalCount;
}

describe('npm start with the embedded default', () => {
  it('starts embedded PostgreSQL, migrates, seeds once, serves tokens from `npm run token`, and stops cleanly', async () => {
    const port = await freePort();
    const first = await startProcess(port);
    expect(await totalCount(port)).toBe(25);
    expect(existsSync(path.join(dataDir, 'pg', 'postmaster.pid'))).toBe(true);
    first.child.kill('SIGTERM');
    expect(await exited(first.child)).toBe(0);
    // PostgreSQL was shut down with the subgraph: its pid file is gone.
    expect(existsSync(path.join(dataDir, 'pg', 'postmaster.pid'))).toBe(false);
    expect(first.output()).toContain('"msg":"stopped"');
    expect(first.output()).toContain('"database":"embedded"');

    // The data survives a restart, and the seed does not run again on a non-empty database.
    const second = await startProcess(port);
    expect(await totalCount(port)).toBe(25);
    expect(second.output()).not.toContain('demo data seeded');
    second.child.kill('SIGINT');
    expect(await exited(second.child)).toBe(0);
  });

  it('refuses to start in production without its identity and database settings, naming each', async () => {
    const child = spawn(process.execPath, [main], { env: baseEnv({ NODE_ENV: 'production' }) });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    expect(await exited(child)).toBe(78);
    for (const name of [
      'AUTH_JWKS_URL',
      'AUTH_ISSUER',
      'AUTH_AUDIENCE',
      'DATABASE_URL',
      'SMTP_URL',
      'MAIL_FROM',
      'PUBLIC_BASE_URL',
    ])
      expect(stderr).toContain(name);
  });

  it('`npm run token` refuses to run in production and validates its arguments', async () => {
    const production = await run(process.execPath, [tokenCli, '--sub', 'x', '--role', 'admin'], {
      env: baseEnv({ NODE_ENV: 'production' }),
    }).catch((e: { code: number; stdout: string; stderr: string }) => e);
    expect(production).toMatchObject({ code: 2, stdout: '' });
    expect((production as { stderr: string }).stderr).toMatch(/refused when NODE_ENV=production/);

    const unknownRole = await run(process.execPath, [tokenCli, '--sub', 'x', '--role', 'root'], {
      env: baseEnv(),
    }).catch((e: { code: number; stderr: string }) => e);
    expect(unknownRole).toMatchObject({ code: 2 });
    expect((unknownRole as { stderr: string }).stderr).toMatch(/unknown role\(s\): root/);
  });
});
