import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort } from '@custos/database';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * `npm start` as a user runs it (scripts/start.mjs over the built apps): embedded PostgreSQL, then the Custos
 * subgraph, the tickets subgraph and the gateway, each its own process; a token from the token command; a
 * query that crosses both subgraphs through the gateway; then SIGTERM stops every process and the database.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
const launcher = path.join(root, 'scripts/start.mjs');
const tokenCli = path.join(root, 'apps/subgraph/dist/cli/token.js');
const run = promisify(execFile);

let dataDir: string;
beforeAll(async () => {
  for (const app of ['subgraph', 'tickets', 'gateway']) {
    if (!existsSync(path.join(root, `apps/${app}/dist/main.js`))) {
      throw new Error(`apps/${app} is not built: run \`npm test\` (it builds first)`);
    }
  }
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'custos-stack-'));
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

function env(extra: Record<string, string>): NodeJS.ProcessEnv {
  const { DATABASE_URL: _db, NODE_ENV: _env, ...rest } = process.env;
  return { ...rest, CUSTOS_DATA_DIR: dataDir, LOG_LEVEL: 'warn', SEED_CONTACTS: '40', ...extra };
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
}

async function waitReady(child: ChildProcess, url: string, output: () => string): Promise<void> {
  const deadline = Date.now() + 150_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`npm start exited early (${child.exitCode}):\n${output()}`);
    const status = await fetch(url).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  child.kill('SIGKILL');
  throw new Error(`the stack did not become ready:\n${output()}`);
}

const listening = (port: number) =>
  fetch(`http://127.0.0.1:${port}/healthz`).then(
    () => true,
    () => false,
  );

describe('npm start: the whole supergraph', () => {
  it('starts PostgreSQL, Custos, tickets and the gateway, answers across both subgraphs, and stops everything', async () => {
    const ports = { custos: await freePort(), tickets: await freePort(), gateway: await freePort() };
    const child = spawn(process.execPath, [launcher], {
      env: env({
        PORT: String(ports.custos),
        TICKETS_PORT: String(ports.tickets),
        GATEWAY_PORT: String(ports.gateway),
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    await waitReady(child, `http://127.0.0.1:${ports.gateway}/readyz`, () => output);
    // The launcher prints the URLs once the last service is ready.
    for (let i = 0; i < 40 && !output.includes('Ctrl-C stops everything'); i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(output).toContain(`Gateway (supergraph)  http://127.0.0.1:${ports.gateway}/graphql`);

    const { stdout } = await run(process.execPath, [tokenCli, '--sub', 'e2e', '--role', 'support_agent'], {
      env: env({}),
    });
    const token = stdout.trim().split('\n').pop()!;
    const ask = (authorization?: string) =>
      fetch(`http://127.0.0.1:${ports.gateway}/graphql`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-purpose': 'customer_support',
          ...(authorization ? { authorization } : {}),
        },
        body: JSON.stringify({
          query:
            '{ contacts(first: 40) { totalCount edges { node { id fullName tickets { id subject } } } } }',
        }),
      });
    const res = await ask(`Bearer ${token}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      data: { contacts: { totalCount: number; edges: { node: { tickets: unknown[] } }[] } };
    };
    expect(body.data.contacts.totalCount).toBe(40);
    // The tickets subgraph seeded tickets for the demo contacts and answers through the gateway.
    expect(body.data.contacts.edges.some((e) => e.node.tickets.length > 0)).toBe(true);
    expect((await ask()).status).toBe(401);
    // Tickets and the gateway ran as the embedded default's own roles (passwords kept beside the others'): no
    // service warned that its role reaches more than declared — tickets' and the gateway's warn when their role
    // could read `contact` — and the gateway audits its refusals.
    const roles = JSON.parse(await readFile(path.join(dataDir, 'pg-roles.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(Object.keys(roles).sort()).toEqual(['app', 'gateway', 'owner', 'tickets']);
    expect(output).not.toMatch(/a role of its own|more than declared|not append-only|are NOT audited/);

    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);
    for (const port of Object.values(ports)) expect(await listening(port)).toBe(false);
    expect(existsSync(path.join(dataDir, 'pg', 'postmaster.pid'))).toBe(false);
  });
});

/** `npm start` with more environment, expected to refuse it before starting anything: its exit code and stderr. */
const refused = (extra: Record<string, string>) =>
  run(process.execPath, [launcher], { env: env(extra) }).then(
    () => {
      throw new Error('npm start did not refuse');
    },
    (error: { code?: number; stderr?: string }) => error,
  );

describe('npm start: the services’ own database roles', () => {
  it('takes TICKETS_DATABASE_URL and GATEWAY_DATABASE_URL only as postgres URLs, naming the variable, never the value', async () => {
    for (const name of ['TICKETS_DATABASE_URL', 'GATEWAY_DATABASE_URL']) {
      const error = await refused({ [name]: 'mysql://marker-7f3a@db/custos' });
      expect(error.code).toBe(78);
      expect(error.stderr).toContain(`${name}: must be a postgres:// URL`);
      expect(error.stderr).not.toContain('marker-7f3a');
    }
  });

  it('takes them only beside DATABASE_URL: the embedded default makes its own roles', async () => {
    for (const [name, service] of [
      ['TICKETS_DATABASE_URL', 'tickets'],
      ['GATEWAY_DATABASE_URL', 'gateway'],
    ] as const) {
      const error = await refused({ [name]: 'postgres://marker-7f3a@127.0.0.1:9/custos' });
      expect(error.code).toBe(78);
      expect(error.stderr).toContain(
        `${name}: needs DATABASE_URL (the embedded default makes its own ${service} role)`,
      );
      expect(error.stderr).not.toContain('marker-7f3a');
    }
  });
});

describe('npm start: the console', () => {
  it('takes CONSOLE_PORT only as a port it can wait on, naming the variable, never the value', async () => {
    for (const [value, rule] of [
      ['57x3', 'must be a whole number from 0 to 65535'],
      ['65536', 'must be a whole number from 0 to 65535'],
      ['0', 'must be a whole number from 1 to 65535'],
    ] as const) {
      const error = await refused({ CONSOLE_PORT: value });
      expect(error.code).toBe(78);
      expect(error.stderr).toContain(`CONSOLE_PORT: ${rule}`);
      expect(error.stderr).not.toContain(value === '0' ? 'CONSOLE_PORT: 0' : value);
    }
  });
});
