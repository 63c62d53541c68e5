import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  errorCode,
  type GqlOptions,
  type GqlResponse,
  startTestServer,
  type TestServer,
} from './support/harness.js';

let server: TestServer;
let officer: GqlOptions;
beforeAll(async () => {
  server = await startTestServer({ seedContacts: 120 });
  officer = { token: await server.token(['privacy_officer']), purpose: 'compliance' };
});

/**
 * These suites test the CRM model (pagination, filters, validation, transactions), so they run under the
 * purpose that sees every row and field (compliance). What other purposes see is redaction.test.ts's job.
 */
const gql = <T = Record<string, unknown>>(query: string, options: GqlOptions = {}) =>
  server.gql<T>(query, { ...officer, ...options });
afterAll(() => server?.close());

type Node = Record<string, unknown> & { id: string };
interface Page {
  totalCount: number;
  edges: { cursor: string; node: Node }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; endCursor: string | null };
}

const PAGE = `totalCount edges { cursor node { id fullName email createdAt country } }
  pageInfo { hasNextPage hasPreviousPage endCursor }`;

async function contacts(args: string, variables?: Record<string, unknown>): Promise<Page> {
  const declared = [
    args.includes('$after') ? '$after: String' : '',
    args.includes('$filter') ? '$filter: ContactFilter' : '',
  ].filter(Boolean);
  const signature = declared.length ? `(${declared.join(', ')})` : '';
  const res = await gql<{ contacts: Page }>(`query Q${signature} { contacts(${args}) { ${PAGE} } }`, {
    variables,
  });
  expect(res.body.errors).toBeUndefined();
  return res.body.data!.contacts;
}

/** Asserts one BAD_USER_INPUT naming `field` and `rule`, and that no submitted value is echoed. */
function expectInvalid(res: GqlResponse, field: string, rule: string, submitted: string[] = []) {
  expect(errorCode(res)).toBe('BAD_USER_INPUT');
  const problems = res.body.errors?.[0]?.extensions?.problems as { field: string; rule: string }[];
  expect(problems).toContainEqual(expect.objectContaining({ field, rule }));
  for (const value of submitted) expect(res.text).not.toContain(value);
}

const CREATE = `mutation C($input: CreateContactInput!) {
  createContact(input: $input) { id fullName email phone birthDate address { street city postalCode country }
    ipAddress healthNotes emailMasked phoneLast4 birthYear country company { id name } createdAt updatedAt } }`;

describe('reading contacts', () => {
  it('pages through every contact, newest first, with a stable totalCount', async () => {
    const seen: Node[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const page: Page = await contacts('first: 50, after: $after', { after });
      expect(page.totalCount).toBe(120);
      expect(page.pageInfo.hasPreviousPage).toBe(after !== null);
      seen.push(...page.edges.map((e) => e.node));
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
      pages += 1;
    } while (after);
    expect(pages).toBe(3);
    expect(new Set(seen.map((n) => n.id)).size).toBe(120);
    const times = seen.map((n) => Date.parse(String(n.createdAt)));
    expect(times).toEqual([...times].sort((a, b) => b - a));
  });

  it('defaults first to 50 and accepts 0 and 500; refuses more than 500 and negatives', async () => {
    expect((await contacts('after: $after')).edges).toHaveLength(50);
    expect((await contacts('first: 0')).edges).toHaveLength(0);
    expect((await contacts('first: 500')).edges).toHaveLength(120);
    for (const first of [501, -1]) {
      const res = await gql(`{ contacts(first: ${first}) { totalCount } }`);
      expectInvalid(res, 'first', 'range');
    }
  });

  it('refuses a cursor it did not issue', async () => {
    for (const after of ['garbage', Buffer.from('["x","y"]').toString('base64url'), 'W10']) {
      const res = await gql('query($a: String) { contacts(after: $a) { totalCount } }', {
        variables: { a: after },
      });
      expectInvalid(res, 'after', 'cursor');
    }
  });

  it('refuses a well-formed cursor whose time is not a time, on root and nested lists alike', async () => {
    const forged = Buffer.from(
      JSON.stringify(['not a time', '30000000-0000-4000-8000-000000000001']),
    ).toString('base64url');
    const [company] = await server.sql<{ id: string }>('select id from company limit 1');
    const root = await gql('query($a: String) { contacts(after: $a) { totalCount } }', {
      variables: { a: forged },
    });
    expectInvalid(root, 'after', 'cursor');
    const nested = await gql(
      'query($id: ID!, $a: String) { company(id: $id) { contacts(after: $a) { totalCount } } }',
      {
        variables: { id: company!.id, a: forged },
      },
    );
    expect(nested.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(nested.body.errors?.[0]?.message).toContain('after');
  });

  it('filters by name or email search, country, company and created range', async () => {
    const [sample] = await server.sql<{ id: string; full_name: string; email: string; company_id: string }>(
      'select id, full_name, email, company_id from contact where company_id is not null order by id limit 1',
    );
    const lastName = sample!.full_name.split(' ').at(-1)!;
    const byName = await contacts('first: 500, filter: $filter', {
      filter: { search: lastName.toUpperCase() },
    });
    const [expectedByName] = await server.sql<{ n: number }>(
      'select count(*)::int n from contact where full_name ilike $1 or email ilike $1',
      [`%${lastName}%`],
    );
    expect(byName.totalCount).toBe(expectedByName!.n);
    expect(byName.edges.map((e) => e.node.id)).toContain(sample!.id);

    const byEmail = await contacts('filter: $filter', { filter: { search: sample!.email } });
    expect(byEmail.edges.map((e) => e.node.id)).toEqual([sample!.id]);

    const byCountry = await contacts('first: 500, filter: $filter', { filter: { country: 'de' } });
    const [de] = await server.sql<{ n: number }>(
      "select count(*)::int n from contact where address_country = 'DE'",
    );
    expect(byCountry.totalCount).toBe(de!.n);
    expect(byCountry.edges.every((e) => e.node.country === 'DE')).toBe(true);

    const byCompany = await contacts('first: 500, filter: $filter', {
      filter: { companyId: sample!.company_id },
    });
    const [co] = await server.sql<{ n: number }>(
      'select count(*)::int n from contact where company_id = $1',
      [sample!.company_id],
    );
    expect(byCompany.totalCount).toBe(co!.n);

    const range = { createdAfter: '2024-01-01T00:00:00Z', createdBefore: '2025-01-01T00:00:00Z' };
    const byRange = await contacts('first: 500, filter: $filter', { filter: range });
    const [inRange] = await server.sql<{ n: number }>(
      "select count(*)::int n from contact where created_at >= '2024-01-01Z' and created_at < '2025-01-01Z'",
    );
    expect(byRange.totalCount).toBe(inRange!.n);
    expect(byRange.edges.every((e) => String(e.node.createdAt).startsWith('2024'))).toBe(true);
  });

  it('treats LIKE wildcards in the search string literally', async () => {
    expect((await contacts('filter: $filter', { filter: { search: '%' } })).totalCount).toBe(0);
    expect((await contacts('filter: $filter', { filter: { search: '_' } })).totalCount).toBe(0);
  });

  it('refuses invalid filters with the field and rule', async () => {
    const q = 'query($f: ContactFilter) { contacts(filter: $f) { totalCount } }';
    expectInvalid(
      await gql(q, { variables: { f: { country: 'Narnia' } } }),
      'filter.country',
      'iso3166_alpha2',
      ['Narnia'],
    );
    expectInvalid(await gql(q, { variables: { f: { companyId: 'nope' } } }), 'filter.companyId', 'id');
    expectInvalid(
      await gql(q, { variables: { f: { search: 'x'.repeat(201) } } }),
      'filter.search',
      'max_length',
    );
    expectInvalid(
      await gql(q, {
        variables: { f: { createdAfter: '2025-01-01T00:00:00Z', createdBefore: '2024-01-01T00:00:00Z' } },
      }),
      'filter.createdBefore',
      'range',
    );
    const badDate = await gql(q, { variables: { f: { createdAfter: 'yesterday' } } });
    expect(errorCode(badDate)).toBe('BAD_USER_INPUT');
  });

  it('answers null for an id that does not exist, or is not an id', async () => {
    const res = await gql(
      '{ a: contact(id: "00000000-0000-4000-8000-000000000000") { id } b: contact(id: "not-an-id") { id } }',
    );
    expect(res.body).toEqual({ data: { a: null, b: null } });
  });

  it('serves companies with their contacts and a contact with its interactions, paginated', async () => {
    const [company] = await server.sql<{ id: string; n: number }>(
      'select company_id id, count(*)::int n from contact where company_id is not null group by 1 order by 2 desc, 1 limit 1',
    );
    const res = await gql<{ company: { contacts: Page } }>(
      `query($id: ID!) { company(id: $id) { id name contacts(first: 1) { ${PAGE} } } }`,
      { variables: { id: company!.id } },
    );
    expect(res.body.data!.company.contacts.totalCount).toBe(company!.n);
    expect(res.body.data!.company.contacts.edges).toHaveLength(1);
    expect(res.body.data!.company.contacts.pageInfo.hasNextPage).toBe(company!.n > 1);

    const [busy] = await server.sql<{ id: string; n: number }>(
      'select contact_id id, count(*)::int n from interaction group by 1 order by 2 desc, 1 limit 1',
    );
    const collected: string[] = [];
    let after: string | null = null;
    do {
      const page: GqlResponse<{
        contact: {
          interactions: { edges: { node: { id: string } }[]; pageInfo: Page['pageInfo']; totalCount: number };
        };
      }> = await gql(
        `query($id: ID!, $after: String) { contact(id: $id) { interactions(first: 2, after: $after) {
           totalCount edges { node { id } } pageInfo { hasNextPage hasPreviousPage endCursor } } } }`,
        { variables: { id: busy!.id, after } },
      );
      const list = page.body.data!.contact.interactions;
      expect(list.totalCount).toBe(busy!.n);
      collected.push(...list.edges.map((e) => e.node.id));
      after = list.pageInfo.hasNextPage ? list.pageInfo.endCursor : null;
    } while (after);
    expect(new Set(collected).size).toBe(busy!.n);
  });

  it('lists companies by name with search', async () => {
    const res = await gql<{ companies: { totalCount: number; edges: { node: { name: string } }[] } }>(
      '{ companies(first: 500) { totalCount edges { node { name } } } }',
    );
    const names = res.body.data!.companies.edges.map((e) => e.node.name);
    expect(res.body.data!.companies.totalCount).toBe(names.length);
    expect(names).toEqual([...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
  });
});

describe('writing contacts', () => {
  const valid = {
    fullName: '  Ada Lovelace ',
    email: 'Ada.Lovelace@Analytical.EXAMPLE',
    phone: '+442071234567',
    birthDate: '1985-12-10',
    address: { street: '12 St James Sq', city: 'London', postalCode: 'SW1Y 4JH', country: 'gb' },
    ipAddress: '2001:DB8::1',
    healthNotes: 'Line one\nline two',
  };

  it('creates a contact, normalising what it may and deriving the masked fields', async () => {
    const res = await gql<{ createContact: Node }>(CREATE, { variables: { input: valid } });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.createContact).toMatchObject({
      fullName: 'Ada Lovelace',
      email: 'Ada.Lovelace@analytical.example',
      phone: '+442071234567',
      birthDate: '1985-12-10',
      address: { street: '12 St James Sq', city: 'London', postalCode: 'SW1Y 4JH', country: 'GB' },
      ipAddress: '2001:db8::1',
      healthNotes: 'Line one\nline two',
      emailMasked: 'A***@analytical.example',
      phoneLast4: '4567',
      birthYear: 1985,
      country: 'GB',
      company: null,
    });
  });

  it('refuses a duplicate email, whatever its case, with CONFLICT and nothing of the other contact', async () => {
    const [other] = await server.sql<{ email: string; full_name: string; id: string }>(
      'select id, email, full_name from contact order by id limit 1',
    );
    const res = await gql(CREATE, {
      variables: { input: { fullName: 'Someone Else', email: other!.email.toUpperCase() } },
    });
    expect(errorCode(res)).toBe('CONFLICT');
    expect(res.body.errors?.[0]?.extensions?.field).toBe('email');
    for (const leak of [
      other!.id,
      other!.full_name,
      other!.email,
      'contact_email_lower_unique',
      'insert',
      'duplicate key',
    ]) {
      expect(res.text.toLowerCase()).not.toContain(leak.toLowerCase());
    }
  });

  it.each([
    ['email', 'email', { email: 'not-an-email' }, ['not-an-email']],
    ['email', 'email', { email: 'a@b' }, []],
    ['phone', 'e164', { phone: '020 7123 4567' }, ['020 7123 4567']],
    ['phone', 'e164', { phone: '+0123456789' }, []],
    ['address.country', 'iso3166_alpha2', { address: { country: 'XX' } }, []],
    ['birthDate', 'past', { birthDate: '2999-01-01' }, ['2999-01-01']],
    ['birthDate', 'date', { birthDate: '1985-02-30' }, ['1985-02-30']],
    ['birthDate', 'min', { birthDate: '1850-01-01' }, []],
    ['fullName', 'required', { fullName: '   ' }, []],
    ['fullName', 'max_length', { fullName: 'x'.repeat(201) }, []],
    ['healthNotes', 'max_length', { healthNotes: 'y'.repeat(2001) }, []],
    ['fullName', 'control_characters', { fullName: 'Bell\u0007Char' }, []],
    ['ipAddress', 'ip_address', { ipAddress: '999.1.1.1' }, ['999.1.1.1']],
    ['address.street', 'max_length', { address: { street: 's'.repeat(201) } }, []],
  ])('refuses an invalid %s (rule %s), writing nothing', async (field, rule, patch, secrets) => {
    const before = await server.sql<{ n: number }>('select count(*)::int n from contact');
    const email = `valid-${Math.random().toString(36).slice(2)}@example.com`;
    const res = await gql(CREATE, {
      variables: { input: { fullName: 'Valid Name', email, ...patch } },
    });
    expectInvalid(res, field, rule, secrets);
    expect(await server.sql('select count(*)::int n from contact')).toEqual(before);
  });

  it('reports every invalid field of one input at once', async () => {
    const res = await gql(CREATE, {
      variables: { input: { fullName: '', email: 'x', phone: '1', birthDate: '3000-01-01' } },
    });
    const problems = res.body.errors?.[0]?.extensions?.problems as { field: string }[] | undefined;
    const fields = (problems ?? []).map((p) => p.field);
    expect(fields).toEqual(['fullName', 'email', 'phone', 'birthDate']);
  });

  it('leaves no row behind when a mutation fails midway (new company, then a duplicate email)', async () => {
    const [taken] = await server.sql<{ email: string }>('select email from contact order by id limit 1');
    const companyName = `Midway Failure ${Date.now()}`;
    const res = await gql(CREATE, {
      variables: {
        input: { fullName: 'Half Written', email: taken!.email, newCompany: { name: companyName } },
      },
    });
    expect(errorCode(res)).toBe('CONFLICT');
    expect(await server.sql('select id from company where name = $1', [companyName])).toEqual([]);
    expect(await server.sql("select id from contact where full_name = 'Half Written'")).toEqual([]);
  });

  it('creates a contact with a new company in one mutation', async () => {
    const res = await gql<{ createContact: { company: { name: string } } }>(CREATE, {
      variables: {
        input: {
          fullName: 'Grace Hopper',
          email: 'grace@navy.example',
          newCompany: { name: 'US Navy', country: 'US' },
        },
      },
    });
    expect(res.body.data!.createContact.company.name).toBe('US Navy');
  });

  it('answers NOT_FOUND for an unknown company, contact or interaction id', async () => {
    const missing = '00000000-0000-4000-8000-000000000000';
    const create = await gql(CREATE, {
      variables: { input: { fullName: 'No Company', email: 'nocompany@example.com', companyId: missing } },
    });
    expect(errorCode(create)).toBe('NOT_FOUND');
    expect(create.body.errors?.[0]?.extensions?.field).toBe('companyId');
    for (const id of [missing, 'not-an-id']) {
      const update = await gql(
        'mutation($id: ID!) { updateContact(id: $id, input: { fullName: "X" }) { id } }',
        {
          variables: { id },
        },
      );
      expect(errorCode(update)).toBe('NOT_FOUND');
      const interaction = await gql(
        'mutation($id: ID!) { createInteraction(input: { contactId: $id, type: NOTE, subject: "s" }) { id } }',
        { variables: { id } },
      );
      expect(errorCode(interaction)).toBe('NOT_FOUND');
      const company = await gql(
        'mutation($id: ID!) { updateCompany(id: $id, input: { name: "X" }) { id } }',
        {
          variables: { id },
        },
      );
      expect(errorCode(company)).toBe('NOT_FOUND');
    }
  });

  it('updates only the fields given; null clears an optional field; required fields cannot be cleared', async () => {
    const created = await gql<{ createContact: Node }>(CREATE, {
      variables: { input: { ...valid, email: 'update-me@example.com' } },
    });
    const id = created.body.data!.createContact.id;
    const res = await gql<{ updateContact: Node }>(
      `mutation($id: ID!, $input: UpdateContactInput!) { updateContact(id: $id, input: $input) {
         fullName email phone address { city } updatedAt createdAt } }`,
      { variables: { id, input: { phone: null, address: null, fullName: 'Ada King' } } },
    );
    expect(res.body.data!.updateContact).toMatchObject({
      fullName: 'Ada King',
      email: 'update-me@example.com',
      phone: null,
      address: null,
    });
    const cleared = await gql(
      'mutation($id: ID!) { updateContact(id: $id, input: { email: null }) { id } }',
      {
        variables: { id },
      },
    );
    expectInvalid(cleared, 'email', 'required');
  });

  it('logs and edits an interaction; the agent is the caller, not client input', async () => {
    const [contact] = await server.sql<{ id: string }>(
      'select id from contact where not restricted order by id limit 1',
    );
    const token = await server.token(['support_agent'], 'agent-007');
    const res = await gql<{ createInteraction: { id: string; loggedBy: string; type: string } }>(
      `mutation($c: ID!) { createInteraction(input: { contactId: $c, type: CALL, subject: "Renewal call",
         body: "Discussed renewal", occurredAt: "2026-01-05T10:00:00Z" }) { id type loggedBy subject occurredAt } }`,
      { variables: { c: contact!.id }, token, purpose: 'customer_support' },
    );
    expect(res.body.data!.createInteraction).toMatchObject({ type: 'CALL', loggedBy: 'agent-007' });
    const update = await gql<{ updateInteraction: { subject: string } }>(
      'mutation($id: ID!) { updateInteraction(id: $id, input: { subject: "Renewal call (done)" }) { subject } }',
      { variables: { id: res.body.data!.createInteraction.id } },
    );
    expect(update.body.data!.updateInteraction.subject).toBe('Renewal call (done)');
    const future = await gql(
      `mutation($c: ID!) { createInteraction(input: { contactId: $c, type: NOTE, subject: "s",
         occurredAt: "2999-01-01T00:00:00Z" }) { id } }`,
      { variables: { c: contact!.id } },
    );
    expectInvalid(future, 'occurredAt', 'not_future');
  });

  it('creates and updates companies with validation', async () => {
    const res = await gql<{ createCompany: { id: string; domain: string } }>(
      'mutation { createCompany(input: { name: "Acme", domain: "ACME.example.com", country: "us" }) { id domain country } }',
    );
    expect(res.body.data!.createCompany).toMatchObject({ domain: 'acme.example.com', country: 'US' });
    const bad = await gql(
      'mutation($id: ID!) { updateCompany(id: $id, input: { domain: "not a domain" }) { id } }',
      { variables: { id: res.body.data!.createCompany.id } },
    );
    expectInvalid(bad, 'domain', 'domain', ['not a domain']);
  });
});
