import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postGraphQL, startTestServer, type TestServer } from './support/harness.js';

// `POST /dev/token` (issue 15): development tokens for the console's sign-in page, signed with the development
// key the subgraph already serves as its JWKS; absent in production.

const QUERY = '{ contacts(first: 1) { totalCount } }';
/** DEV_TOKEN_TTL_SECONDS' default: one hour. */
const HOUR = 3600;

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ seedContacts: 2 });
});
afterAll(() => server?.close());

function post(
  body: unknown,
  options: { url?: string; headers?: Record<string, string>; method?: string } = {},
): Promise<Response> {
  return fetch(options.url ?? `${server.baseUrl}/dev/token`, {
    method: options.method ?? 'POST',
    headers: { 'content-type': 'application/json', ...options.headers },
    ...(options.method === 'GET' ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
}

/** The claims of a JWT, read here without the code under test. */
function claims(token: string): Record<string, unknown> {
  const [, payload] = token.split('.');
  return JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

describe('a development token', () => {
  it('is signed for the subject and roles asked, expires in an hour, and says when', async () => {
    const before = Math.floor(Date.now() / 1000);
    const res = await post({ sub: 'dev-alice', roles: ['support_agent'] });
    const after = Math.ceil(Date.now() / 1000);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as { token: string; expiresAt: string };
    expect(Object.keys(body).sort()).toEqual(['expiresAt', 'token']);
    const jwt = claims(body.token);
    expect(jwt).toMatchObject({
      sub: 'dev-alice',
      roles: ['support_agent'],
      iss: 'custos-dev',
      aud: 'custos',
    });
    expect(jwt.exp).toBe((jwt.iat as number) + HOUR);
    expect(jwt.iat).toBeGreaterThanOrEqual(before);
    expect(jwt.iat).toBeLessThanOrEqual(after);
    expect(Date.parse(body.expiresAt)).toBe((jwt.exp as number) * 1000);
  });

  it('works for a purpose its role holds and is FORBIDDEN for one it does not', async () => {
    const { token } = (await (await post({ sub: 'dev-bob', roles: ['support_agent'] })).json()) as {
      token: string;
    };
    const allowed = await postGraphQL(server.graphqlUrl, QUERY, { token, purpose: 'customer_support' });
    expect(allowed.status).toBe(200);
    expect(allowed.body.errors).toBeUndefined();
    expect(allowed.body.data).toEqual({ contacts: { totalCount: 2 } });
    const refused = await postGraphQL(server.graphqlUrl, QUERY, { token, purpose: 'marketing' });
    expect(refused.status).toBe(403);
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(refused.body.data ?? null).toBeNull();
  });

  it('holds several roles, each once, and a 100-character subject', async () => {
    const sub = `${'a'.repeat(96)}@x.y`;
    const res = await post({ sub, roles: ['marketer', 'analyst', 'marketer'] });
    expect(res.status).toBe(200);
    const { token } = (await res.json()) as { token: string };
    expect(claims(token)).toMatchObject({ sub, roles: ['marketer', 'analyst'] });
    for (const purpose of ['marketing', 'analytics']) {
      expect((await postGraphQL(server.graphqlUrl, QUERY, { token, purpose })).status).toBe(200);
    }
    expect((await postGraphQL(server.graphqlUrl, QUERY, { token, purpose: 'compliance' })).status).toBe(403);
  });

  it('is logged by subject and roles and audited as the subject’s devToken operation, never with the token', async () => {
    const sub = `dev-audited-${randomBytes(4).toString('hex')}`;
    const res = await post({ sub, roles: ['privacy_officer', 'admin'] });
    expect(res.status).toBe(200);
    const { token } = (await res.json()) as { token: string };
    const lines = server.logs.filter((line) => line.includes('"development token issued"'));
    const mine = lines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((l) => l.sub === sub);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({
      roles: ['privacy_officer', 'admin'],
      requestId: res.headers.get('x-request-id'),
    });
    const [, , signature] = token.split('.');
    expect(server.logs.join('\n')).not.toContain(signature);
    await server.flushAudit();
    const events = await server.sql(
      `select actor_sub, actor_roles, purpose, operation_type, operation_name, root_fields, outcome, subjects,
              request_id
         from audit_event where actor_sub = $1`,
      [sub],
    );
    expect(events).toEqual([
      {
        actor_sub: sub,
        actor_roles: ['privacy_officer', 'admin'],
        purpose: null,
        operation_type: 'public',
        operation_name: 'devToken',
        root_fields: ['/dev/token'],
        outcome: 'OK',
        subjects: 0,
        request_id: res.headers.get('x-request-id'),
      },
    ]);
  });
});

describe('refusals', () => {
  const ROLE = ['support_agent'];
  // Each value carries a marker that must never come back in the answer.
  const cases: {
    name: string;
    body: Record<string, unknown>;
    problems: { field: string; rule: string }[];
  }[] = [
    { name: 'no subject', body: { roles: ROLE }, problems: [{ field: 'sub', rule: 'required' }] },
    {
      name: 'an empty subject',
      body: { sub: '', roles: ROLE },
      problems: [{ field: 'sub', rule: 'required' }],
    },
    {
      name: 'a subject not a string',
      body: { sub: 7731, roles: ROLE },
      problems: [{ field: 'sub', rule: 'required' }],
    },
    {
      name: 'a 101-character subject',
      body: { sub: `zq9${'b'.repeat(98)}`, roles: ROLE },
      problems: [{ field: 'sub', rule: 'max_length' }],
    },
    {
      name: 'a control character',
      body: { sub: 'zq9\u0007bell', roles: ROLE },
      problems: [{ field: 'sub', rule: 'pattern' }],
    },
    {
      name: 'a space',
      body: { sub: 'zq9 smith', roles: ROLE },
      problems: [{ field: 'sub', rule: 'pattern' }],
    },
    { name: 'markup', body: { sub: '<zq9>', roles: ROLE }, problems: [{ field: 'sub', rule: 'pattern' }] },
    { name: 'no roles', body: { sub: 'ok' }, problems: [{ field: 'roles', rule: 'required' }] },
    { name: 'empty roles', body: { sub: 'ok', roles: [] }, problems: [{ field: 'roles', rule: 'required' }] },
    {
      name: 'roles not a list',
      body: { sub: 'ok', roles: 'admin' },
      problems: [{ field: 'roles', rule: 'required' }],
    },
    {
      name: 'an unknown role',
      body: { sub: 'ok', roles: ['support_agent', 'zq9-root'] },
      problems: [{ field: 'roles', rule: 'one_of' }],
    },
    {
      name: 'both wrong',
      body: { sub: 'zq9 x', roles: [42] },
      problems: [
        { field: 'sub', rule: 'pattern' },
        { field: 'roles', rule: 'one_of' },
      ],
    },
  ];

  it.each(cases)(
    '$name: 400 BAD_USER_INPUT naming the field and rule, not the value',
    async ({ body, problems }) => {
      const res = await post(body);
      expect(res.status).toBe(400);
      const text = await res.text();
      expect(text).not.toContain('zq9');
      expect(text).not.toContain('7731');
      const error = (JSON.parse(text) as { errors: { extensions: Record<string, unknown> }[] }).errors[0]!;
      expect(error.extensions.code).toBe('BAD_USER_INPUT');
      expect(
        (error.extensions.problems as { field: string; rule: string }[]).map(({ field, rule }) => ({
          field,
          rule,
        })),
      ).toEqual(problems);
    },
  );

  it('issues, logs and audits nothing for refused input', async () => {
    const before = server.logs.filter((line) => line.includes('"development token issued"')).length;
    expect((await post({ sub: 'refused-one', roles: ['nobody'] })).status).toBe(400);
    await server.flushAudit();
    expect(await server.sql("select 1 from audit_event where actor_sub = 'refused-one'")).toEqual([]);
    expect(server.logs.filter((line) => line.includes('"development token issued"'))).toHaveLength(before);
  });

  it('takes POST only, JSON only, a JSON object only, and 4 KiB at most', async () => {
    const get = await post(undefined, { method: 'GET' });
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    const form = await post('sub=a&roles=admin', {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(form.status).toBe(415);
    const text = await post('{"sub":', {});
    expect(text.status).toBe(400);
    expect(
      ((await text.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code,
    ).toBe('BAD_REQUEST');
    expect((await post(['support_agent'])).status).toBe(400);
    const big = await post({ sub: 'ok', roles: ['admin'], padding: 'p'.repeat(4096) });
    expect(big.status).toBe(413);
    // Just under the limit is read (and refused for its content, not its size).
    const near = JSON.stringify({ sub: 'ok', roles: ['admin'], padding: '' });
    const fits = await post({ sub: 'ok', roles: ['admin'], padding: 'p'.repeat(4096 - near.length) });
    expect(fits.status).toBe(200);
  });
});

describe('in production', () => {
  let production: TestServer;
  beforeAll(async () => {
    production = await startTestServer({
      env: {
        NODE_ENV: 'production',
        AUTH_JWKS_URL: 'http://127.0.0.1:9/jwks.json',
        AUTH_ISSUER: 'https://idp.custos.invalid',
        AUTH_AUDIENCE: 'custos',
        CONSENT_HMAC_KEY: randomBytes(32).toString('base64url'),
        CURSOR_KEYS: `t:${randomBytes(32).toString('base64url')}`,
        AUDIT_HMAC_KEY: randomBytes(32).toString('base64url'),
        AUDIT_SIGNING_KEY: generateKeyPairSync('ed25519')
          .privateKey.export({ type: 'pkcs8', format: 'pem' })
          .toString(),
        SMTP_URL: 'smtp://127.0.0.1:9',
        MAIL_FROM: 'test@custos.invalid',
        PUBLIC_BASE_URL: 'https://privacy.custos.invalid',
      },
    });
  });
  afterAll(() => production?.close());

  it('has no development token endpoint: 404 like any unknown path, for every method', async () => {
    const url = `${production.baseUrl}/dev/token`;
    const res = await post({ sub: 'dev-alice', roles: ['admin'] }, { url });
    expect(res.status).toBe(404);
    const body = (await res.json()) as { errors: { extensions: { code: string } }[]; token?: unknown };
    expect(body.errors[0]!.extensions.code).toBe('NOT_FOUND');
    expect(body.token).toBeUndefined();
    expect((await post(undefined, { url, method: 'GET' })).status).toBe(404);
    const unknown = await post({}, { url: `${production.baseUrl}/dev/unknown` });
    expect({ status: res.status, body }).toEqual({ status: unknown.status, body: await unknown.json() });
    // Nor the development key set: nothing it would sign could be checked.
    expect((await fetch(`${production.baseUrl}/.well-known/jwks.json`)).status).toBe(404);
    // The development server beside it does serve it.
    expect((await post({ sub: 'dev-alice', roles: ['admin'] })).status).toBe(200);
  });
});
