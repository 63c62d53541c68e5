import {
  type ContactState,
  decideField,
  mayRunOperation,
  maySeeRow,
  PERSONAL_FIELDS,
  type PersonalField,
  type Purpose,
  ROLE_PURPOSES,
  type Role,
} from '@custos/policy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode, startTestServer, type TestServer } from './support/harness.js';

/**
 * The leak test: for every role and every purpose it may declare, every personal field through every path
 * (root list, aliases, fragments, nested company → contacts and contact → interactions → contact,
 * contact(id), _entities). No value the purpose may not see may appear anywhere in the raw response, the
 * rows are exactly those the policy's row rule admits, and every redaction is listed with its reason.
 * Expectations come from packages/policy's pure functions applied to the database's own state.
 */
let server: TestServer;

interface DbContact {
  id: string;
  full_name: string;
  email: string;
  phone: string | null;
  birth_date: string | null;
  address_street: string | null;
  ip_address: string | null;
  health_notes: string | null;
  company_id: string | null;
  restricted: boolean;
  limit_sensitive: boolean;
  consents: Record<string, string> | null;
}
let contacts: DbContact[];
let interactions: { id: string; contact_id: string; subject: string; body: string | null }[];

beforeAll(async () => {
  server = await startTestServer({ seedContacts: 200 });
  contacts = await server.sql<DbContact>(
    `select c.id, c.full_name, c.email, c.phone, c.birth_date::text, c.address_street, c.ip_address, c.health_notes,
       c.company_id, c.restricted, c.limit_sensitive,
       (select jsonb_object_agg(cs.purpose, cs.status) from consent_state cs where cs.contact_id = c.id) consents
     from contact c order by c.id`,
  );
  interactions = await server.sql('select id, contact_id, subject, body from interaction');
});
afterAll(() => server?.close());

const stateOf = (c: DbContact): ContactState => ({
  erased: false,
  restricted: c.restricted,
  limitSensitive: c.limit_sensitive,
  consents: (c.consents ?? {}) as ContactState['consents'],
});

/** The distinctive personal values of a contact, by the policy field that carries them. */
function valuesOf(c: DbContact): [PersonalField, string][] {
  const list: [PersonalField, string | null][] = [
    ['Contact.fullName', c.full_name],
    ['Contact.email', c.email],
    ['Contact.phone', c.phone],
    ['Contact.birthDate', c.birth_date],
    ['Contact.address', c.address_street],
    ['Contact.ipAddress', c.ip_address],
    ['Contact.healthNotes', c.health_notes],
  ];
  for (const i of interactions.filter((x) => x.contact_id === c.id)) {
    list.push(['Interaction.subject', i.subject], ['Interaction.body', i.body]);
  }
  return list.filter((entry): entry is [PersonalField, string] => entry[1] !== null && entry[1].length >= 6);
}

/** Values the purpose may see somewhere, and values it may not see (minus any that are also visible). */
function partition(purpose: Purpose) {
  const visible = new Set<string>();
  const hidden = new Set<string>();
  for (const c of contacts) {
    const rowSeen = maySeeRow(purpose, stateOf(c));
    for (const [field, value] of valuesOf(c)) {
      const shown = rowSeen && decideField(purpose, field, stateOf(c)).allowed;
      (shown ? visible : hidden).add(value);
    }
  }
  for (const value of visible) hidden.delete(value);
  return { visible, hidden };
}

const ALL = `fragment All on Contact {
  id restricted fullName email emailMasked phone phoneLast4 birthDate birthYear
  address { street city postalCode country } country ipAddress healthNotes
}`;

const QUERIES = {
  list: `query { contacts(first: 500) { totalCount edges { node { ...All alias: email } } } } ${ALL}`,
  nested: `query { contacts(first: 100) { edges { node { id interactions(first: 20) { edges { node {
      id subject body contact { id fullName email healthNotes } } } } } } } }`,
  companies: `query { companies(first: 30) { edges { node { id contacts(first: 50) { totalCount edges { node { ...All } } } } } } }
    ${ALL}`,
  entities: `query($r: [_Any!]!) { _entities(representations: $r) { ... on Contact { ...All } } } ${ALL}`,
};

const pairs = (Object.entries(ROLE_PURPOSES) as [Role, readonly Purpose[]][]).flatMap(([role, purposes]) =>
  purposes.map((purpose) => [role, purpose] as const),
);

describe.each(pairs)('role %s declaring %s', (role, purpose) => {
  let token: string;
  const bodies: string[] = [];
  beforeAll(async () => {
    token = await server.token([role]);
  });

  it('sees exactly the rows its row rule admits, counted the same way', async () => {
    const res = await server.gql<{ contacts: { totalCount: number; edges: { node: { id: string } }[] } }>(
      QUERIES.list,
      { token, purpose },
    );
    bodies.push(res.text);
    const expected = contacts.filter((c) => maySeeRow(purpose, stateOf(c))).map((c) => c.id);
    if (!mayRunOperation(purpose, 'Query.contacts')) {
      expect(errorCode(res)).toBe('FORBIDDEN');
      expect(res.body.data).toBeNull();
      return;
    }
    const ids = res.body.data!.contacts.edges.map((e) => e.node.id);
    expect(new Set(ids)).toEqual(new Set(expected));
    expect(res.body.data!.contacts.totalCount).toBe(expected.length);
  });

  it('lists every redaction of the root list with the reason the policy gives', async () => {
    if (!mayRunOperation(purpose, 'Query.contacts')) return;
    const res = await server.gql<{ contacts: { edges: { node: { id: string } }[] } }>(QUERIES.list, {
      token,
      purpose,
    });
    const byId = new Map(contacts.map((c) => [c.id, c]));
    const asked: [string, PersonalField][] = [
      ['fullName', 'Contact.fullName'],
      ['email', 'Contact.email'],
      ['alias', 'Contact.email'],
      ['emailMasked', 'Contact.emailMasked'],
      ['phone', 'Contact.phone'],
      ['phoneLast4', 'Contact.phoneLast4'],
      ['birthDate', 'Contact.birthDate'],
      ['birthYear', 'Contact.birthYear'],
      ['address', 'Contact.address'],
      ['country', 'Contact.country'],
      ['ipAddress', 'Contact.ipAddress'],
      ['healthNotes', 'Contact.healthNotes'],
    ];
    const expected = res.body.data!.contacts.edges.flatMap((edge, index) => {
      const state = stateOf(byId.get(edge.node.id)!);
      return asked.flatMap(([key, field]) => {
        const decision = decideField(purpose, field, state);
        return decision.allowed
          ? []
          : [
              {
                path: ['contacts', 'edges', index, 'node', key],
                field,
                category: PERSONAL_FIELDS[field].category,
                reason: decision.reason,
              },
            ];
      });
    });
    const actual = (res.body.extensions?.redactions ?? []) as unknown[];
    expect(actual).toHaveLength(expected.length);
    expect(actual).toEqual(expect.arrayContaining(expected));
    // A redacted field is null, whether or not a value exists.
    for (const entry of expected) {
      let value: unknown = res.body.data;
      for (const key of entry.path) value = (value as Record<string | number, unknown>)[key];
      expect(value).toBeNull();
    }
  });

  it('leaks no hidden value through nested paths, companies, contact(id) or _entities', async () => {
    const representations = contacts.map((c) => ({ __typename: 'Contact', id: c.id }));
    for (const query of [QUERIES.nested, QUERIES.companies]) {
      bodies.push((await server.gql(query, { token, purpose })).text);
    }
    bodies.push(
      (
        await server.gql(QUERIES.entities, {
          token,
          purpose,
          variables: { r: representations.slice(0, 500) },
        })
      ).text,
    );
    for (const c of contacts
      .filter((x) => x.restricted || x.limit_sensitive || x.health_notes)
      .slice(0, 10)) {
      bodies.push(
        (
          await server.gql(`query($id: ID!) { contact(id: $id) { ...All } } ${ALL}`, {
            token,
            purpose,
            variables: { id: c.id },
          })
        ).text,
      );
    }
    const { hidden } = partition(purpose);
    const everything = bodies.join('\n');
    const leaked = [...hidden].filter((value) => everything.includes(JSON.stringify(value).slice(1, -1)));
    expect(leaked).toEqual([]);
  });

  it('answers for a row it may not see exactly as for an id that does not exist', async () => {
    const unseen = contacts.find((c) => !maySeeRow(purpose, stateOf(c)));
    if (!unseen || !mayRunOperation(purpose, 'Query.contact')) return;
    const missing = '00000000-0000-4000-8000-000000000000';
    const read = await server.gql(
      `query($a: ID!, $b: ID!) { a: contact(id: $a) { id } b: contact(id: $b) { id } }`,
      {
        token,
        purpose,
        variables: { a: unseen.id, b: missing },
      },
    );
    expect(read.body.data).toEqual({ a: null, b: null });
    const entities = await server.gql<{ _entities: unknown[] }>(
      'query($r: [_Any!]!) { _entities(representations: $r) { ... on Contact { id } } }',
      { token, purpose, variables: { r: [{ __typename: 'Contact', id: unseen.id }] } },
    );
    expect(entities.body.data?._entities).toEqual([null]);
    if (mayRunOperation(purpose, 'Mutation.updateContact')) {
      const update = (id: string) =>
        server.gql('mutation($id: ID!) { updateContact(id: $id, input: { fullName: "X Y" }) { id } }', {
          token,
          purpose,
          variables: { id },
        });
      const [hiddenAnswer, missingAnswer] = [await update(unseen.id), await update(missing)];
      expect(errorCode(hiddenAnswer)).toBe('NOT_FOUND');
      expect(hiddenAnswer.body.errors?.[0]?.message).toBe(missingAnswer.body.errors?.[0]?.message);
      const [row] = await server.sql<{ full_name: string }>('select full_name from contact where id = $1', [
        unseen.id,
      ]);
      expect(row!.full_name).toBe(unseen.full_name);
    }
  });
});

describe('data minimisation and row rules in the SQL itself', () => {
  const listSql = async (role: Role, purpose: Purpose) => {
    const token = await server.token([role]);
    const statements = await server.countSql(() =>
      server.gql(`{ contacts(first: 5) { edges { node { ...All } } } } ${ALL}`, { token, purpose }),
    );
    return statements.find((s) => /from contact c/.test(s) && /order by/.test(s))!;
  };

  it('never selects a column the purpose never sees (administration reads ids and timestamps only)', async () => {
    const sql = await listSql('admin', 'administration');
    for (const column of [
      'full_name',
      'c.email',
      'c.phone',
      'birth_date',
      'address_',
      'ip_address',
      'health_notes',
    ]) {
      expect(sql).not.toContain(column);
    }
  });

  it('nulls in SQL the columns whose visibility depends on the contact (support on restricted contacts)', async () => {
    const sql = await listSql('support_agent', 'customer_support');
    expect(sql).toMatch(/case when not c\.restricted then c\.email end/);
    expect(sql).not.toContain('health_notes');
    expect(sql).not.toContain('ip_address');
  });

  it('puts each row rule in the WHERE clause of the same statement', async () => {
    // The current consent status is a column test on the contact row (bits maintained with the ledger).
    expect(await listSql('sales_rep', 'sales')).toMatch(
      /where c\.erased_at is null and not c\.restricted and \(c\.consent_objected & 2\) = 0/,
    );
    expect(await listSql('marketer', 'marketing')).toMatch(/\(c\.consent_granted & 4\) <> 0/);
  });
});

describe('no oracle', () => {
  it('refuses a filter on a field the purpose never sees', async () => {
    const token = await server.token(['admin']);
    const res = await server.gql('query($f: ContactFilter) { contacts(filter: $f) { totalCount } }', {
      token,
      purpose: 'administration',
      variables: { f: { search: 'a' } },
    });
    expect(errorCode(res)).toBe('BAD_USER_INPUT');
    expect(res.body.errors?.[0]?.extensions?.problems).toEqual([
      expect.objectContaining({ field: 'filter.search', rule: 'purpose' }),
    ]);
  });

  it('a search cannot find a contact by a value hidden from the purpose, nor count it', async () => {
    const restricted = contacts.find((c) => c.restricted)!;
    const token = await server.token(['support_agent']);
    const res = await server.gql<{ contacts: { totalCount: number; edges: { node: { id: string } }[] } }>(
      'query($f: ContactFilter) { contacts(first: 500, filter: $f) { totalCount edges { node { id } } } }',
      { token, purpose: 'customer_support', variables: { f: { search: restricted.email } } },
    );
    expect(res.body.data!.contacts.totalCount).toBe(0);
    expect(res.body.data!.contacts.edges).toEqual([]);
    // The privacy officer, who may read it, finds it.
    const officer = await server.gql<{ contacts: { totalCount: number } }>(
      'query($f: ContactFilter) { contacts(filter: $f) { totalCount } }',
      {
        token: await server.token(['privacy_officer']),
        purpose: 'compliance',
        variables: { f: { search: restricted.email } },
      },
    );
    expect(officer.body.data!.contacts.totalCount).toBe(1);
  });

  it('refuses to write a field the purpose may not read, and writes nothing', async () => {
    const target = contacts.find((c) => !c.restricted && !c.consents?.sales)!;
    const token = await server.token(['sales_rep']);
    const res = await server.gql(
      'mutation($id: ID!) { updateContact(id: $id, input: { fullName: "Changed Name", ipAddress: "10.0.0.1" }) { id } }',
      {
        token,
        purpose: 'sales',
        variables: { id: target.id },
      },
    );
    expect(errorCode(res)).toBe('BAD_USER_INPUT');
    expect(res.body.errors?.[0]?.extensions?.problems).toEqual([
      expect.objectContaining({ field: 'ipAddress', rule: 'PURPOSE_NOT_ALLOWED' }),
    ]);
    const [row] = await server.sql<{ full_name: string }>('select full_name from contact where id = $1', [
      target.id,
    ]);
    expect(row!.full_name).toBe(target.full_name);
  });

  it('redacts a mutation payload like a query', async () => {
    const target = contacts.find((c) => !c.restricted && !c.consents?.sales)!;
    const res = await server.gql<{ updateContact: Record<string, unknown> }>(
      'mutation($id: ID!) { updateContact(id: $id, input: { phone: "+14155550100" }) { id phone healthNotes ipAddress } }',
      { token: await server.token(['sales_rep']), purpose: 'sales', variables: { id: target.id } },
    );
    expect(res.body.data!.updateContact).toMatchObject({
      phone: '+14155550100',
      healthNotes: null,
      ipAddress: null,
    });
    expect(res.body.extensions?.redactions).toEqual([
      expect.objectContaining({
        path: ['updateContact', 'healthNotes'],
        reason: target.limit_sensitive ? 'SENSITIVE_USE_LIMITED' : 'SPECIAL_CATEGORY',
      }),
      expect.objectContaining({ path: ['updateContact', 'ipAddress'], reason: 'PURPOSE_NOT_ALLOWED' }),
    ]);
  });

  it('answers FORBIDDEN for an operation the purpose may not run, and caps _entities at 500', async () => {
    const analyst = await server.token(['analyst']);
    const res = await server.gql('{ contact(id: "00000000-0000-4000-8000-000000000000") { id } }', {
      token: analyst,
      purpose: 'analytics',
    });
    expect(res.status).toBe(200);
    expect(errorCode(res)).toBe('FORBIDDEN');
    const entities = await server.gql(
      'query($r: [_Any!]!) { _entities(representations: $r) { ... on Contact { id } } }',
      {
        token: analyst,
        purpose: 'analytics',
        variables: { r: [{ __typename: 'Contact', id: contacts[0]!.id }] },
      },
    );
    expect(errorCode(entities)).toBe('FORBIDDEN');
    const companies = await server.gql<{
      companies: { edges: { node: { contacts: { totalCount: number } } }[] };
    }>('{ companies(first: 5) { edges { node { contacts { totalCount } } } } }', {
      token: analyst,
      purpose: 'analytics',
    });
    expect(companies.body.data!.companies.edges.every((e) => e.node.contacts.totalCount === 0)).toBe(true);
    const many = Array.from({ length: 501 }, () => ({ __typename: 'Contact', id: contacts[0]!.id }));
    const capped = await server.gql(
      'query($r: [_Any!]!) { _entities(representations: $r) { ... on Contact { id } } }',
      {
        variables: { r: many },
      },
    );
    expect(errorCode(capped)).toBe('BAD_USER_INPUT');
  });

  it('tells a frontend what its purpose may run and see, from the policy', async () => {
    const res = await server.gql<{
      myAccess: {
        purpose: string;
        operations: string[];
        fields: { field: string; visibility: string; reason: string | null }[];
      };
      policyVersion: string;
    }>(
      '{ policyVersion myAccess { purpose lawfulBasis policyVersion operations fields { field category special visibility reason } } }',
      { token: await server.token(['marketer']), purpose: 'marketing' },
    );
    const access = res.body.data!.myAccess;
    expect(access.purpose).toBe('marketing');
    expect(access.operations).toContain('Query.contacts');
    expect(access.operations).not.toContain('Mutation.updateContact');
    expect(access.fields.find((f) => f.field === 'Contact.phone')).toMatchObject({
      visibility: 'NEVER',
      reason: 'PURPOSE_NOT_ALLOWED',
    });
    expect(res.body.data!.policyVersion).toMatch(/^policy-[0-9a-f]{16}$/);
  });
});
