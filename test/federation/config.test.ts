import { type ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadGatewayConfig } from '../../apps/gateway/src/config.js';
import { withSubgraphUrls } from '../../apps/gateway/src/supergraph.js';
import { SUPERGRAPH_PATH } from './support/federation.js';

const DATABASE_REQUIRED =
  'DATABASE_URL: required when NODE_ENV=production (the gateway’s own database role, which writes its refusals into the audit trail)';

const problemsOf = (env: Record<string, string>): string[] => {
  try {
    loadGatewayConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
};

describe('gateway configuration', () => {
  it('has development defaults: port 4000, the subgraph’s dev JWKS, the subgraph’s limits, the console origins', () => {
    const config = loadGatewayConfig({});
    expect(config).toMatchObject({
      production: false,
      host: '127.0.0.1',
      port: 4000,
      subgraphUrls: {},
      subgraphClient: 'custom',
      limits: { maxDepth: 15, maxAliases: 30, maxTokens: 1000, maxCost: 50_000 },
      corsOrigins: ['http://localhost:5173', 'http://127.0.0.1:5173'],
      auth: {
        jwksUrl: 'http://127.0.0.1:4001/.well-known/jwks.json',
        issuer: 'custos-dev',
        audience: 'custos',
      },
    });
    expect(config.supergraphPath).toBe(SUPERGRAPH_PATH);
  });

  it('names every bad variable and its rule, never its value', () => {
    const problems = problemsOf({
      PORT: 'eighty',
      MAX_QUERY_DEPTH: '0',
      CUSTOS_SUBGRAPH_URL: 'ftp://subgraph',
      CORS_ORIGINS: '*',
      LOG_LEVEL: 'chatty',
    });
    expect(problems).toEqual([
      'LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent',
      'CUSTOS_SUBGRAPH_URL: must be a URL with scheme https or http',
      'CORS_ORIGINS: must be a comma-separated list of origins like https://console.example.com',
      'PORT: must be a whole number from 0 to 65535',
      'MAX_QUERY_DEPTH: must be a whole number from 1 to 100',
    ]);
  });

  it('takes the direct path’s client from GATEWAY_SUBGRAPH_CLIENT, custom or undici, and nothing else', () => {
    expect(loadGatewayConfig({ GATEWAY_SUBGRAPH_CLIENT: 'undici' }).subgraphClient).toBe('undici');
    expect(loadGatewayConfig({ GATEWAY_SUBGRAPH_CLIENT: 'custom' }).subgraphClient).toBe('custom');
    for (const bad of ['fetch', 'UNDICI', 'undici,custom', 'node:http']) {
      const problems = problemsOf({ GATEWAY_SUBGRAPH_CLIENT: bad });
      expect(problems).toEqual(['GATEWAY_SUBGRAPH_CLIENT: must be one of custom, undici']);
      expect(problems.join('\n')).not.toContain(bad);
    }
  });

  it('requires the identity provider in production, over https or loopback', () => {
    expect(problemsOf({ NODE_ENV: 'production' })).toEqual([
      'AUTH_JWKS_URL: required when NODE_ENV=production',
      'AUTH_ISSUER: required when NODE_ENV=production',
      'AUTH_AUDIENCE: required when NODE_ENV=production',
      DATABASE_REQUIRED,
    ]);
    expect(
      problemsOf({
        NODE_ENV: 'production',
        AUTH_JWKS_URL: 'http://idp.example/jwks.json',
        AUTH_ISSUER: 'custos-dev',
        AUTH_AUDIENCE: 'custos',
      }),
    ).toEqual([
      'AUTH_JWKS_URL: must use https (http only on a loopback address) in production',
      'AUTH_ISSUER: must not be the development issuer in production',
      DATABASE_REQUIRED,
    ]);
  });

  it('audits its refusals only with a database, and then needs the audit trail’s settings as the subgraphs do', () => {
    expect(loadGatewayConfig({}).audit).toBeUndefined();
    expect(
      loadGatewayConfig({
        DATABASE_URL: 'postgres://gw@db/custos',
        DATABASE_OWNER_URL: 'postgres://owner@db/custos',
      }).audit,
    ).toMatchObject({
      databaseUrl: 'postgres://gw@db/custos',
      databaseOwnerUrl: 'postgres://owner@db/custos',
    });
    expect(loadGatewayConfig({ DATABASE_URL: 'postgres://gw@db/custos' }).audit).toMatchObject({
      databaseUrl: 'postgres://gw@db/custos',
      audit: { enabled: true, refusalWindowSeconds: 60, refusalKeys: 1000 },
    });
    expect(
      problemsOf({
        NODE_ENV: 'production',
        AUTH_JWKS_URL: 'https://idp.example/jwks.json',
        AUTH_ISSUER: 'https://idp.example',
        AUTH_AUDIENCE: 'custos',
        DATABASE_URL: 'postgres://gw@db/custos',
      }),
    ).toEqual([
      'AUDIT_SIGNING_KEY: required when NODE_ENV=production (signs the audit checkpoints)',
      "AUDIT_HMAC_KEY: required when NODE_ENV=production (keys the HMAC of refused clients' addresses)",
    ]);
  });

  it('takes subgraph URLs by name and refuses a name the supergraph does not have', () => {
    const config = loadGatewayConfig({ TICKETS_SUBGRAPH_URL: 'http://10.0.0.7:4002/graphql' });
    const sdl = withSubgraphUrls(readFileSync(SUPERGRAPH_PATH, 'utf8'), config.subgraphUrls);
    expect(sdl).toContain('TICKETS @join__graph(name: "tickets", url: "http://10.0.0.7:4002/graphql")');
    expect(sdl).toContain('CUSTOS @join__graph(name: "custos", url: "http://127.0.0.1:4001/graphql")');
    expect(() => withSubgraphUrls(sdl, { billing: 'http://127.0.0.1:1/graphql' })).toThrow(
      'the supergraph has no subgraph named billing',
    );
  });
});

describe('the gateway process (apps/gateway/dist/main.js)', () => {
  const main = fileURLToPath(new URL('../../apps/gateway/dist/main.js', import.meta.url));
  const run = (env: Record<string, string>): ChildProcess =>
    spawn(process.execPath, [main], {
      env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });

  it('exits 78 naming each bad variable', async () => {
    const child = run({ PORT: '-1', NODE_ENV: 'production' });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const [code] = await once(child, 'exit');
    expect(code).toBe(78);
    expect(stderr).toContain('PORT: must be a whole number from 0 to 65535');
    expect(stderr).toContain('AUTH_JWKS_URL: required when NODE_ENV=production');
    expect(stderr).toContain(DATABASE_REQUIRED);
  });

  it('exits 78 in production without its database role, naming DATABASE_URL alone', async () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const child = run({
      NODE_ENV: 'production',
      PORT: '0',
      AUTH_JWKS_URL: 'https://idp.example/jwks.json',
      AUTH_ISSUER: 'https://idp.example',
      AUTH_AUDIENCE: 'custos',
      AUDIT_SIGNING_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      AUDIT_HMAC_KEY: 'h'.repeat(32),
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const [code] = await once(child, 'exit');
    expect(code).toBe(78);
    expect(
      stderr
        .trim()
        .split('\n')
        .filter((line) => line.includes(': ')),
    ).toEqual([`  - ${DATABASE_REQUIRED}`]);
  });

  it('prints its URL, serves, and stops cleanly on SIGTERM', async () => {
    const child = run({ PORT: '0' });
    let stderr = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr?.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        const match = /Custos gateway\s+(http:\/\/\S+)\/graphql/.exec(stderr);
        if (match?.[1]) resolve(match[1]);
      });
      child.once('exit', () => reject(new Error(`exited early: ${stderr}`)));
    });
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
  });
});
