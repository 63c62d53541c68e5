import { ConfigError, loadConfig } from '@custos/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode, startTestServer, type TestServer } from './support/harness.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ seedContacts: 5 });
});
afterAll(() => server?.close());

describe('probes and HTTP edge', () => {
  it('answers /healthz and /readyz', async () => {
    const health = await fetch(`${server.baseUrl}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${server.baseUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
  });

  it('answers 404 for unknown paths and 405 for other methods on /graphql', async () => {
    expect((await fetch(`${server.baseUrl}/nope`)).status).toBe(404);
    const put = await fetch(server.graphqlUrl, { method: 'PUT' });
    expect(put.status).toBe(405);
  });

  it('refuses a body over the limit with 413 before reading it all', async () => {
    const huge = JSON.stringify({ query: `{ contacts { totalCount } }`, pad: 'x'.repeat(1_100_000) });
    const res = await fetch(server.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: huge,
    });
    expect(res.status).toBe(413);
    expect(
      ((await res.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code,
    ).toBe('BODY_TOO_LARGE');
  });

  it('refuses a body that is not JSON with 400', async () => {
    const res = await fetch(server.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"query": ',
    });
    expect(res.status).toBe(400);
  });

  it('marks every GraphQL response Cache-Control: no-store', async () => {
    const ok = await server.gql('{ contacts(first: 1) { edges { node { email } } } }');
    expect(ok.headers.get('cache-control')).toBe('no-store');
    const denied = await server.gql('{ contacts(first: 1) { totalCount } }', { token: null });
    expect(denied.headers.get('cache-control')).toBe('no-store');
  });

  it('answers a GraphQL syntax error with its code and no internals', async () => {
    const res = await server.gql('{ contacts(first: ) }');
    expect(res.status).toBe(400);
    expect(errorCode(res)).toBe('GRAPHQL_PARSE_FAILED');
    expect(res.text).not.toMatch(/stack|at .*\.js/);
  });

  it('exposes the federation SDL with Contact as an entity keyed by id', async () => {
    const res = await server.gql<{ _service: { sdl: string } }>('{ _service { sdl } }');
    const sdl = res.body.data!._service.sdl;
    expect(sdl).toContain('type Contact');
    expect(sdl).toMatch(/type Contact\s+@key\(fields: "id"/);
    expect(sdl).toContain('@link(url: "https://specs.apollo.dev/federation/v2.6"');
  });
});

describe('logs', () => {
  it('never contain the token, the variables or a personal value', async () => {
    const token = await server.token(['support_agent'], 'log-checker');
    const secret = {
      fullName: 'Zebulon Logcheck',
      email: 'zebulon.logcheck@example.com',
      phone: '+15550001234',
    };
    const res = await server.gql(
      'mutation CreateForLogs($input: CreateContactInput!) { createContact(input: $input) { id fullName } }',
      { token, variables: { input: secret } },
    );
    expect(res.body.errors).toBeUndefined();
    await server.gql('mutation Dup($input: CreateContactInput!) { createContact(input: $input) { id } }', {
      token,
      variables: { input: secret },
    });
    await server.gql('query Broken { contacts(first: 1) { nope } }', { token });
    const text = server.logs.join('\n');
    expect(text).toContain('"op":"CreateForLogs"');
    for (const value of [token, token.split('.')[1]!, ...Object.values(secret), 'Zebulon', 'log-checker']) {
      expect(text).not.toContain(value);
    }
    expect(text).not.toMatch(/"variables"|"query"/);
  });
});

describe('configuration', () => {
  it('applies defaults in development', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ port: 4001, host: '127.0.0.1', seedContacts: 1000, production: false });
    expect(config.auth).toMatchObject({ issuer: 'custos-dev', audience: 'custos', devTokenTtlSeconds: 3600 });
  });

  it('names every bad variable and its rule, without echoing values', () => {
    let error: unknown;
    try {
      loadConfig({
        PORT: 'eighty',
        SEED_CONTACTS: '-3',
        DATABASE_URL: 'mysql://user:hunter2@db/x',
        LOG_LEVEL: 'loud',
        NODE_ENV: 'staging',
        MAX_BODY_BYTES: '12',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toEqual([
      'NODE_ENV: must be one of production, development, test',
      'LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent',
      'PORT: must be a whole number from 0 to 65535',
      'DATABASE_URL: must be a URL with scheme postgres or postgresql',
      'SEED_CONTACTS: must be a whole number from 0 to 1000000',
      'MAX_BODY_BYTES: must be a whole number from 1024 to 104857600',
    ]);
    expect((error as Error).message).not.toContain('hunter2');
  });

  it('takes an owner role only beside an application role', () => {
    expect(() => loadConfig({ DATABASE_OWNER_URL: 'postgres://owner:s3cret@db/custos' })).toThrow(
      /DATABASE_OWNER_URL: needs DATABASE_URL/,
    );
    const config = loadConfig({
      DATABASE_URL: 'postgres://app@db/custos',
      DATABASE_OWNER_URL: 'postgres://owner@db/custos',
    });
    expect(config).toMatchObject({
      databaseUrl: 'postgres://app@db/custos',
      databaseOwnerUrl: 'postgres://owner@db/custos',
    });
  });

  it('refuses production without an identity provider, and never with the development issuer', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(
      /AUTH_JWKS_URL: required[\s\S]*AUTH_ISSUER: required[\s\S]*AUTH_AUDIENCE: required[\s\S]*DATABASE_URL: required[\s\S]*CONSENT_HMAC_KEY: required[\s\S]*CURSOR_KEYS: required[\s\S]*AUDIT_SIGNING_KEY: required[\s\S]*AUDIT_HMAC_KEY: required/,
    );
    expect(() => loadConfig({ CONSENT_HMAC_KEY: 'short' })).toThrow(
      /CONSENT_HMAC_KEY: must be at least 32 characters/,
    );
    expect(() =>
      loadConfig({
        NODE_ENV: 'production',
        AUTH_JWKS_URL: 'https://idp.example.com/jwks.json',
        AUTH_ISSUER: 'custos-dev',
        AUTH_AUDIENCE: 'custos',
        DATABASE_URL: 'postgres://db/custos',
      }),
    ).toThrow(/AUTH_ISSUER: must not be the development issuer/);
    expect(() =>
      loadConfig({
        NODE_ENV: 'production',
        AUTH_JWKS_URL: 'http://idp.example.com/jwks.json',
        AUTH_ISSUER: 'https://idp.example.com',
        AUTH_AUDIENCE: 'custos',
        DATABASE_URL: 'postgres://db/custos',
      }),
    ).toThrow(/AUTH_JWKS_URL: must use https \(http only on a loopback address\) in production/);
    expect(
      loadConfig({
        NODE_ENV: 'production',
        AUTH_JWKS_URL: 'http://127.0.0.1:9000/jwks.json',
        AUTH_ISSUER: 'https://idp.example.com',
        AUTH_AUDIENCE: 'custos',
        DATABASE_URL: 'postgres://db/custos',
        CONSENT_HMAC_KEY: 'k'.repeat(32),
        CURSOR_KEYS: `k1:${'c'.repeat(32)}`,
        AUDIT_SIGNING_KEY:
          '-----BEGIN PRIVATE KEY-----\\nMC4CAQAwBQYDK2VwBCIEIA==\\n-----END PRIVATE KEY-----',
        AUDIT_HMAC_KEY: 'h'.repeat(32),
      }).auth.jwksUrl,
    ).toBe('http://127.0.0.1:9000/jwks.json');
  });

  it('takes cursor keys as <id>:<secret> entries, the first sealing, and names a bad one without its secret', () => {
    const secret = (c: string) => c.repeat(32);
    expect(loadConfig({ CURSOR_KEYS: `new:${secret('n')}, old-1:${secret('o')}` }).cursorKeys).toEqual([
      { id: 'new', secret: secret('n') },
      { id: 'old-1', secret: secret('o') },
    ]);
    expect(loadConfig({}).cursorKeys).toBeUndefined();
    const bad = {
      'no id': `:${secret('s')}`,
      'bad id': `a b:${secret('s')}`,
      short: 'k1:hunter2-but-short',
      repeated: `k1:${secret('a')},k1:${secret('b')}`,
    };
    const rules = {
      'no id': /CURSOR_KEYS: entry 1 must be <id>:<secret>/,
      'bad id': /CURSOR_KEYS: entry 1 must be <id>:<secret>/,
      short: /CURSOR_KEYS: entry 1 needs a secret of at least 32 characters/,
      repeated: /CURSOR_KEYS: entry 2 repeats a key id/,
    };
    for (const [name, value] of Object.entries(bad)) {
      let message = '';
      try {
        loadConfig({ CURSOR_KEYS: value });
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toMatch(rules[name as keyof typeof rules]);
      expect(message).not.toContain('hunter2');
      expect(message).not.toContain(secret('s'));
      expect(message).not.toContain(secret('b'));
    }
  });

  it('keeps the audit trail on in production, and takes only a PEM key for its checkpoints', () => {
    expect(loadConfig({}).audit).toMatchObject({ enabled: true, bufferEvents: 10_000, flushMs: 200 });
    expect(loadConfig({ AUDIT_ENABLED: '0' }).audit.enabled).toBe(false);
    expect(() => loadConfig({ NODE_ENV: 'production', AUDIT_ENABLED: '0' })).toThrow(
      /AUDIT_ENABLED: cannot be turned off in production/,
    );
    expect(() => loadConfig({ AUDIT_SIGNING_KEY: 'hunter2' })).toThrow(
      /AUDIT_SIGNING_KEY: must be a PKCS#8 PEM/,
    );
    expect(() => loadConfig({ AUDIT_BUFFER_EVENTS: '0' })).toThrow(
      /AUDIT_BUFFER_EVENTS: must be a whole number/,
    );
  });

  it('bounds the refusal windows, keys the client hash with a real secret, and keeps the crash hook out of production', () => {
    expect(loadConfig({}).audit).toMatchObject({
      refusalWindowSeconds: 60,
      refusalKeys: 1000,
      hmacKey: undefined,
      testCrashAfterCommit: false,
    });
    expect(loadConfig({ CUSTOS_TEST_CRASH_AFTER_COMMIT: '1' }).audit.testCrashAfterCommit).toBe(true);
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig(env);
        return [];
      } catch (error) {
        return (error as { problems: string[] }).problems;
      }
    };
    expect(
      problems({
        AUDIT_REFUSAL_WINDOW_SECONDS: '0',
        AUDIT_REFUSAL_KEYS: '100001',
        AUDIT_HMAC_KEY: 'short-secret-value',
        CUSTOS_TEST_CRASH_AFTER_COMMIT: 'yes',
      }),
    ).toEqual([
      'AUDIT_REFUSAL_WINDOW_SECONDS: must be a whole number from 1 to 3600',
      'AUDIT_REFUSAL_KEYS: must be a whole number from 1 to 100000',
      'AUDIT_HMAC_KEY: must be at least 32 characters (a random secret)',
      'CUSTOS_TEST_CRASH_AFTER_COMMIT: must be 0 or 1',
    ]);
    expect(problems({ NODE_ENV: 'production', CUSTOS_TEST_CRASH_AFTER_COMMIT: '1' })).toContain(
      'CUSTOS_TEST_CRASH_AFTER_COMMIT: tests only; refused in production',
    );
    // Never the value itself.
    expect(JSON.stringify(problems({ AUDIT_HMAC_KEY: 'short-secret-value' }))).not.toContain('short-secret');
  });
});

describe('production hardening', () => {
  it('turns introspection off and never suggests field names', async () => {
    const { createGraphQLServer } = await import('@custos/server');
    const { buildSchema } = await import('../src/schema.js');
    const { createLogger } = await import('@custos/runtime');
    const { RedactionLog } = await import('@custos/enforcement');
    const apollo = await createGraphQLServer(buildSchema(), createLogger('silent'), true);
    try {
      const contextValue = {
        principal: { sub: 'x', roles: ['support_agent'], purpose: 'customer_support' },
        redactions: new RedactionLog(),
      } as never;
      const introspection = await apollo.executeOperation(
        { query: '{ __schema { types { name } } }' },
        { contextValue },
      );
      const typo = await apollo.executeOperation({ query: '{ contacts { totalCont } }' }, { contextValue });
      const errors = (r: typeof typo) => (r.body.kind === 'single' ? (r.body.singleResult.errors ?? []) : []);
      expect(errors(introspection)[0]?.message).toMatch(/introspection/i);
      expect(errors(typo)[0]?.message).toBe('Cannot query field "totalCont" on type "ContactConnection".');
      expect(JSON.stringify(errors(typo))).not.toContain('Did you mean');
    } finally {
      await apollo.stop();
    }
  });
});

describe('the benchmark allow-all switch', () => {
  it('is off by default, and cannot be turned on in production', () => {
    expect(loadConfig({}).policyAllowAll).toBe(false);
    expect(loadConfig({ CUSTOS_POLICY_ALLOW_ALL: '1' }).policyAllowAll).toBe(true);
    expect(() =>
      loadConfig({
        NODE_ENV: 'production',
        CUSTOS_POLICY_ALLOW_ALL: '1',
        AUTH_JWKS_URL: 'https://idp.example.com/jwks.json',
        AUTH_ISSUER: 'https://idp.example.com',
        AUTH_AUDIENCE: 'custos',
        DATABASE_URL: 'postgres://db/custos',
      }),
    ).toThrow(/CUSTOS_POLICY_ALLOW_ALL: cannot be turned on in production/);
    expect(() => loadConfig({ CUSTOS_POLICY_ALLOW_ALL: 'yes' })).toThrow(
      /CUSTOS_POLICY_ALLOW_ALL: must be 0 or 1/,
    );
  });

  it('when on, processes every request as compliance: no row rule, no redaction', async () => {
    const open = await startTestServer({ seedContacts: 5, env: { CUSTOS_POLICY_ALLOW_ALL: '1' } });
    try {
      const res = await open.gql<{ contacts: { edges: { node: { email: string | null } }[] } }>(
        '{ contacts(first: 5) { edges { node { email } } } }',
        { token: await open.token(['admin']), purpose: 'administration' },
      );
      expect(res.body.data!.contacts.edges.every((e) => e.node.email !== null)).toBe(true);
      expect(res.body.extensions?.redactions).toBeUndefined();
    } finally {
      await open.close();
    }
  });
});
