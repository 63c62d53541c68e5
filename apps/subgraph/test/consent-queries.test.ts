import { createHash, randomUUID } from 'node:crypto';
import { PURPOSE_DEFINITIONS, PURPOSES, purposeCategories } from '@custos/policy';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode, type GqlResponse, startTestServer, type TestServer } from './support/harness.js';

/**
 * What the consent ledger rests on, readable through the API: the purposes of processing, the published privacy
 * notices (and publishing a new one), and a contact's current consent per purpose.
 */
let server: TestServer;
let tokens: Record<'support' | 'sales' | 'marketer' | 'officer' | 'analyst' | 'admin', string>;

const as =
  (who: keyof typeof tokens, purpose: string) => (query: string, variables?: Record<string, unknown>) =>
    server.gql(query, { token: tokens[who], purpose, variables });
const support = as('support', 'customer_support');
const officer = as('officer', 'compliance');

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
/** A version no other test uses: notices are never deleted, so each test publishes its own. */
const newVersion = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

const NOTICE_FIELDS = 'version text textSha256 publishedAt';
const PUBLISH = `mutation P($input: PublishPrivacyNoticeInput!) { publishPrivacyNotice(input: $input) { ${NOTICE_FIELDS} } }`;
const NOTICE = `query N($v: String!) { privacyNotice(version: $v) { ${NOTICE_FIELDS} } }`;
const NOTICES = `query L($first: Int, $after: String) { privacyNotices(first: $first, after: $after) {
  totalCount pageInfo { hasNextPage hasPreviousPage endCursor } nodes { version publishedAt } } }`;
const CURRENT = 'query S($c: ID!) { currentConsents(contactId: $c) { purpose status updatedAt } }';
const RECORD = `mutation R($input: RecordConsentInput!) { recordConsent(input: $input) { id noticeVersion } }`;

const publish = (input: Record<string, unknown>) => officer(PUBLISH, { input });
const grantMarketing = (contactId: string, noticeVersion = '2026-01') =>
  support(RECORD, {
    input: {
      contactId,
      purpose: 'marketing',
      status: 'GRANTED',
      method: 'WEB_FORM',
      noticeVersion,
      evidence: { source: 'signed form #2' },
    },
  });
const noticeCount = async () =>
  (await server.sql<{ n: number }>('select count(*)::int n from privacy_notice'))[0]!.n;
const problemsOf = (res: GqlResponse) =>
  ((res.body.errors?.[0]?.extensions?.problems ?? []) as { field: string; rule: string }[]).map(
    (p) => `${p.field}:${p.rule}`,
  );

async function createContact(): Promise<string> {
  const res = await support(
    'mutation C($input: CreateContactInput!) { createContact(input: $input) { id } }',
    { input: { fullName: 'Current Consents', email: `current-${randomUUID()}@example.org` } },
  );
  expect(res.body.errors).toBeUndefined();
  return (res.body.data!.createContact as { id: string }).id;
}

beforeAll(async () => {
  server = await startTestServer();
  tokens = {
    support: await server.token(['support_agent']),
    sales: await server.token(['sales_rep']),
    marketer: await server.token(['marketer']),
    officer: await server.token(['privacy_officer']),
    analyst: await server.token(['analyst']),
    admin: await server.token(['admin']),
  };
});
afterAll(() => server?.close());

describe('Query.purposes', () => {
  const PURPOSES_QUERY = '{ purposes { name lawfulBasis description categories } }';

  it('lists every purpose of the policy with its lawful basis, description and data categories', async () => {
    const res = await as('analyst', 'analytics')(PURPOSES_QUERY);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data?.purposes).toEqual(
      PURPOSES.map((name) => ({
        name,
        lawfulBasis: PURPOSE_DEFINITIONS[name].lawfulBasis,
        description: PURPOSE_DEFINITIONS[name].description,
        categories: purposeCategories(name),
      })),
    );
    const byName = Object.fromEntries(
      (res.body.data!.purposes as { name: string; lawfulBasis: string; categories: string[] }[]).map((p) => [
        p.name,
        p,
      ]),
    );
    expect(byName.marketing).toMatchObject({ lawfulBasis: 'consent' });
    expect(byName.analytics!.categories).toEqual([]);
    expect(byName.administration!.categories).toEqual([]);
    // Only compliance opens a special category (Art 9).
    expect(byName.compliance!.categories).toContain('user.health_and_medical');
    expect(byName.customer_support!.categories).not.toContain('user.health_and_medical');
    expect(res.body.extensions?.redactions ?? []).toEqual([]);
  });

  it('answers every purpose alike', async () => {
    const answers = await Promise.all([
      support(PURPOSES_QUERY),
      as('sales', 'sales')(PURPOSES_QUERY),
      as('marketer', 'sale_share')(PURPOSES_QUERY),
      as('admin', 'administration')(PURPOSES_QUERY),
      officer(PURPOSES_QUERY),
    ]);
    for (const res of answers) {
      expect(res.body.errors).toBeUndefined();
      expect((res.body.data!.purposes as unknown[]).length).toBe(PURPOSES.length);
    }
  });
});

describe('privacy notices', () => {
  it('serves a notice by version with the SHA-256 of its text; null for a version never published', async () => {
    const res = await as('marketer', 'marketing')(NOTICE, { v: '2026-01' });
    const notice = res.body.data?.privacyNotice as { text: string; textSha256: string; publishedAt: string };
    expect(notice).toMatchObject({ version: '2026-01', publishedAt: '2026-01-01T00:00:00.000Z' });
    expect(notice.textSha256).toBe(sha256(notice.text));
    for (const v of ['1999-01', 'not a version!', 'x'.repeat(40)]) {
      expect((await support(NOTICE, { v })).body.data).toEqual({ privacyNotice: null });
    }
  });

  it('publishes a version (compliance only) with the hash of its text exactly as given, published now by default', async () => {
    const version = newVersion('2026-07');
    const text = 'We process your details to serve you.\nYou may object at any time.\n';
    const before = Date.now();
    const res = await publish({ version, text });
    expect(res.body.errors).toBeUndefined();
    const notice = res.body.data?.publishPrivacyNotice as { publishedAt: string };
    expect(notice).toMatchObject({ version, text, textSha256: sha256(text) });
    const publishedAt = new Date(notice.publishedAt).getTime();
    expect(publishedAt).toBeGreaterThanOrEqual(before - 1000);
    expect(publishedAt).toBeLessThanOrEqual(Date.now() + 1000);
    expect((await as('analyst', 'analytics')(NOTICE, { v: version })).body.data?.privacyNotice).toEqual(
      notice,
    );

    const bySupport = await support(PUBLISH, { input: { version: newVersion('x'), text: 'A notice.' } });
    expect(errorCode(bySupport)).toBe('FORBIDDEN');
  });

  it('never edits a published version: the same version again is a CONFLICT and changes nothing', async () => {
    const version = newVersion('conflict');
    await publish({ version, text: 'First text.', publishedAt: '2026-02-01T00:00:00Z' });
    const again = await publish({ version, text: 'Second text.' });
    expect(errorCode(again)).toBe('CONFLICT');
    expect(again.body.errors?.[0]?.extensions?.field).toBe('version');
    expect(again.text).not.toContain(version);
    const seeded = await publish({ version: '2026-01', text: 'Forged.' });
    expect(errorCode(seeded)).toBe('CONFLICT');
    const rows = await server.sql<{ version: string; text: string }>(
      'select version, text from privacy_notice where version = any($1) order by version',
      [['2026-01', version]],
    );
    expect(rows.map((r) => r.text)).toEqual([
      expect.stringMatching(/^We use your contact details/),
      'First text.',
    ]);
  });

  it.each([
    ['a version with a space', { version: 'v 1' }, 'version:format'],
    ['a version longer than 32 characters', { version: 'v'.repeat(33) }, 'version:format'],
    ['an empty version', { version: '' }, 'version:format'],
    ['an empty text', { text: '  \n ' }, 'text:required'],
    ['a text of more than 20,000 characters', { text: 'a'.repeat(20_001) }, 'text:max_length'],
    ['a text with control characters', { text: 'Notice\u0000text' }, 'text:control_characters'],
    ['a publication in the future', { publishedAt: '2999-01-01T00:00:00Z' }, 'publishedAt:not_future'],
  ] as const)(
    'refuses %s, naming the field and the rule, and writes nothing',
    async (_what, patch, problem) => {
      const before = await noticeCount();
      const res = await publish({ version: newVersion('bad'), text: 'A valid notice.', ...patch });
      expect(errorCode(res)).toBe('BAD_USER_INPUT');
      expect(problemsOf(res)).toEqual([problem]);
      expect(await noticeCount()).toBe(before);
    },
  );

  it('reports every problem of an input at once, without echoing it', async () => {
    const res = await publish({ version: 'bad version', text: '', publishedAt: '2999-01-01T00:00:00Z' });
    expect(problemsOf(res).sort()).toEqual(['publishedAt:not_future', 'text:required', 'version:format']);
    expect(res.text).not.toContain('bad version');
  });

  it('accepts a clock a little ahead', async () => {
    const res = await publish({
      version: newVersion('skew'),
      text: 'Published by a fast clock.',
      publishedAt: new Date(Date.now() + 60_000).toISOString(),
    });
    expect(res.body.errors).toBeUndefined();
  });

  it('lists notices newest first, in pages that neither skip nor repeat, ties ordered by version', async () => {
    const same = '2026-04-01T12:00:00.000Z';
    const ours = [
      { version: newVersion('page-a'), publishedAt: '2026-03-01T00:00:00.000Z' },
      { version: newVersion('page-b'), publishedAt: same },
      { version: newVersion('page-c'), publishedAt: same },
      { version: newVersion('page-d'), publishedAt: '2026-05-01T00:00:00.000Z' },
    ];
    for (const notice of ours) {
      expect((await publish({ ...notice, text: `Notice ${notice.version}` })).body.errors).toBeUndefined();
    }
    const seen: { version: string; publishedAt: string }[] = [];
    let after: string | null = null;
    for (let page = 0; page < 100; page++) {
      const res = await as('sales', 'sales')(NOTICES, { first: 2, after });
      expect(res.body.errors).toBeUndefined();
      const connection = res.body.data?.privacyNotices as {
        totalCount: number;
        pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; endCursor: string | null };
        nodes: { version: string; publishedAt: string }[];
      };
      expect(connection.totalCount).toBe(await noticeCount());
      expect(connection.pageInfo.hasPreviousPage).toBe(after !== null);
      seen.push(...connection.nodes);
      if (!connection.pageInfo.hasNextPage) break;
      after = connection.pageInfo.endCursor;
    }
    const expected = await server.sql<{ version: string }>(
      'select version from privacy_notice order by published_at desc, version desc',
    );
    expect(seen.map((n) => n.version)).toEqual(expected.map((n) => n.version));
    const ourOrder = seen.map((n) => n.version).filter((v) => ours.some((o) => o.version === v));
    expect(ourOrder).toEqual([ours[3]!.version, ours[2]!.version, ours[1]!.version, ours[0]!.version]);
  });

  it('refuses a cursor it did not issue and a page larger than 500', async () => {
    expect(errorCode(await support(NOTICES, { after: 'bm90LWEtY3Vyc29y' }))).toBe('BAD_USER_INPUT');
    expect(errorCode(await support(NOTICES, { first: 501 }))).toBe('BAD_USER_INPUT');
  });

  it('a newly published version is one a consent may name; before it is published it is refused', async () => {
    const contactId = await createContact();
    const version = newVersion('2026-08');
    const grant = () => grantMarketing(contactId, version);
    const early = await grant();
    expect(errorCode(early)).toBe('BAD_USER_INPUT');
    expect(problemsOf(early)).toEqual(['noticeVersion:exists']);
    await publish({ version, text: 'The August notice.' });
    const granted = await grant();
    expect(granted.body.errors).toBeUndefined();
    expect(granted.body.data?.recordConsent).toMatchObject({ noticeVersion: version });
    const RECEIPT = 'query R($id: ID!) { consentReceipt(eventId: $id) { notice { version sha256 } } }';
    const receipt = await support(RECEIPT, { id: (granted.body.data!.recordConsent as { id: string }).id });
    expect(receipt.body.data?.consentReceipt).toEqual({
      notice: { version, sha256: sha256('The August notice.') },
    });
  });

  it('the application role may add a notice but never change or remove one', async () => {
    const client = new pg.Client({ connectionString: server.databaseUrl });
    await client.connect();
    try {
      await expect(
        client.query("update privacy_notice set text = 'x' where version = '2026-01'"),
      ).rejects.toThrow(/permission denied/);
      await expect(client.query("delete from privacy_notice where version = '2026-01'")).rejects.toThrow(
        /permission denied/,
      );
    } finally {
      await client.end();
    }
  });
});

describe('Query.currentConsents', () => {
  it('is empty for a contact without events, then each purpose’s latest status', async () => {
    const contactId = await createContact();
    expect((await support(CURRENT, { c: contactId })).body.data).toEqual({ currentConsents: [] });
    await support(RECORD, {
      input: { contactId, purpose: 'sale_share', status: 'DENIED', method: 'GPC' },
    });
    await grantMarketing(contactId);
    await as('sales', 'sales')(
      'mutation O($c: ID!) { objectToProcessing(contactId: $c, purpose: "sales") { id } }',
      {
        c: contactId,
      },
    );
    const res = await officer(CURRENT, { c: contactId });
    expect(res.body.errors).toBeUndefined();
    const states = res.body.data?.currentConsents as { purpose: string; status: string; updatedAt: string }[];
    expect(states.map(({ purpose, status }) => ({ purpose, status }))).toEqual([
      { purpose: 'marketing', status: 'GRANTED' },
      { purpose: 'sale_share', status: 'DENIED' },
      { purpose: 'sales', status: 'OBJECTED' },
    ]);
    for (const state of states) expect(state.updatedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('shows a withdrawal on the very next request', async () => {
    const contactId = await createContact();
    await grantMarketing(contactId);
    const withdrawn = await as('marketer', 'marketing')(
      'mutation W($c: ID!) { withdrawConsent(contactId: $c, purpose: "marketing") { status } }',
      { c: contactId },
    );
    expect(withdrawn.body.data).toEqual({ withdrawConsent: { status: 'WITHDRAWN' } });
    expect((await support(CURRENT, { c: contactId })).body.data?.currentConsents).toEqual([
      expect.objectContaining({ purpose: 'marketing', status: 'WITHDRAWN' }),
    ]);
  });

  it('answers NOT_FOUND for a contact the purpose may not see, exactly as for one that does not exist', async () => {
    const contactId = await createContact();
    await support(RECORD, { input: { contactId, purpose: 'marketing', status: 'DENIED', method: 'EMAIL' } });
    await server.sql('update contact set erased_at = now() where id = $1', [contactId]);
    const hidden = await support(CURRENT, { c: contactId });
    const missing = await support(CURRENT, { c: randomUUID() });
    const malformed = await support(CURRENT, { c: 'not-a-uuid' });
    for (const res of [hidden, missing, malformed]) {
      expect(errorCode(res)).toBe('NOT_FOUND');
      expect(res.body.data).toBeNull();
    }
    expect(hidden.body.errors?.[0]?.message).toBe(missing.body.errors?.[0]?.message);
    // Compliance sees erased tombstones (the evidence stays).
    expect((await officer(CURRENT, { c: contactId })).body.data?.currentConsents).toEqual([
      expect.objectContaining({ purpose: 'marketing', status: 'DENIED' }),
    ]);
  });

  it('is for support and compliance only', async () => {
    const contactId = await createContact();
    for (const ask of [
      as('sales', 'sales'),
      as('marketer', 'marketing'),
      as('analyst', 'analytics'),
      as('admin', 'administration'),
    ]) {
      expect(errorCode(await ask(CURRENT, { c: contactId }))).toBe('FORBIDDEN');
    }
  });
});
