import {
  decideField,
  isPersonalField,
  mayRunOperation,
  maySeeRow,
  ORDINARY_CONTACT,
  type PersonalField,
  PURPOSE_DEFINITIONS,
  type Purpose,
  ROLE_PURPOSES,
  type Role,
} from '@custos/policy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSchema } from '../src/schema.js';
import {
  applyStateCatalogue,
  type ContactFacts,
  type ContactFieldSelection,
  caseState,
  categoryOf,
  contactFragment,
  contactSelection,
  contactsById,
  entryKeys,
  excludesSomeState,
  expectContactList,
  expectedContact,
  expectedViews,
  loadContactFacts,
  type RedactionEntry,
  responseRedactions,
  seesRow,
  stateCatalogue,
  stateOf,
} from './support/expected-contact.js';
import { errorCode, startTestServer, type TestServer } from './support/harness.js';

/**
 * The leak test, two-sided: for every role and every purpose it may declare, every Contact field (generated
 * from the schema) through every path — root list, each field selected alone, contact(id), _entities,
 * Company.contacts, Interaction.contact and the createContact and updateContact payloads — the rows are
 * exactly those the policy's row rule admits, every allowed value is present and equal to the database's,
 * every hidden value is null with its redaction entry, and no value the purpose may not see appears anywhere
 * in the raw response. Expectations come from this test's own SQL and packages/policy's tables
 * (support/expected-contact.ts), never from the code under test. Every contact state the policy tells apart
 * is in the data (applyStateCatalogue), so that every pair has rows and fields to show and to hide where its
 * policy has any.
 */
let server: TestServer;
let catalogue: Map<string, string>;
let fields: ContactFieldSelection[];
let contacts: ContactFacts[];
let interactions: { id: string; contact_id: string; subject: string; body: string | null }[];

beforeAll(async () => {
  server = await startTestServer({ seedContacts: 200 });
  catalogue = await applyStateCatalogue(server);
  fields = contactSelection(buildSchema());
  contacts = await loadContactFacts(server);
  interactions = await server.sql('select id, contact_id, subject, body from interaction');
});
afterAll(() => server?.close());

const all = () => contactFragment(fields);
const ID_FIELD = (): ContactFieldSelection => fields.find((f) => f.name === 'id')!;

it('holds every contact state the policy tells apart, on its own contact', () => {
  const cases = stateCatalogue();
  expect(catalogue.size).toBe(cases.length);
  const byId = new Map(contacts.map((c) => [c.id, c]));
  for (const state of cases) {
    const stored = byId.get(catalogue.get(state.name)!)!;
    expect(stateOf(stored), state.name).toEqual(caseState(state));
  }
  // Erased, restricted, sensitive-limited and each ledger status of each purpose that has one.
  expect(cases.map((c) => c.name)).toEqual(
    expect.arrayContaining([
      'erased tombstone',
      'restricted',
      'sensitive-limited',
      'marketing GRANTED',
      'marketing DENIED',
      'marketing WITHDRAWN',
      'marketing OBJECTED',
      'sale_share GRANTED',
      'sale_share WITHDRAWN',
      'sales OBJECTED',
    ]),
  );
});

const pairs = (Object.entries(ROLE_PURPOSES) as [Role, readonly Purpose[]][]).flatMap(([role, purposes]) =>
  purposes.map((purpose) => [role, purpose] as const),
);

describe.each(pairs)('role %s declaring %s', (role, purpose) => {
  let token: string;
  /** The database as this pair starts (a mutation test of another pair may have touched updated_at). */
  let facts: ContactFacts[];
  const bodies: string[] = [];
  const ask = <T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>) =>
    server.gql<T>(query, { token, purpose, ...(variables ? { variables } : {}) });
  const shown = () => facts.filter((c) => seesRow(purpose, c));
  const readsContacts = mayRunOperation(purpose, 'Query.contacts');

  beforeAll(async () => {
    token = await server.token([role]);
    facts = await loadContactFacts(server);
  });

  it('has rows to show and rows to hide in the data, as its row rule allows', () => {
    const visible = shown();
    const hidden = facts.filter((c) => !seesRow(purpose, c));
    if (PURPOSE_DEFINITIONS[purpose].rows.contacts === 'none') {
      expect(visible).toHaveLength(0);
      expect(hidden).toHaveLength(facts.length);
    } else {
      expect(visible.length).toBeGreaterThan(0);
    }
    // A rule that leaves some state out has such rows to hide; one that admits every state (compliance) has none
    // and shows the erased tombstones.
    expect(hidden.length > 0).toBe(excludesSomeState(purpose));
    if (!excludesSomeState(purpose)) expect(visible.some((c) => c.erased)).toBe(true);
  });

  it('lists exactly the rows it may see, every field equal to the database or null and listed', async () => {
    const res = await ask(`query { contacts(first: 500) { totalCount edges { node { ...All } } } } ${all()}`);
    bodies.push(res.text);
    expectContactList(res, purpose, facts, fields, 500);
    expect(facts.length).toBeLessThan(500);
  });

  it('gives each field selected alone the same expected value (root list and _entities)', async () => {
    const representations = facts.map((c) => ({ __typename: 'Contact', id: c.id }));
    for (const field of fields) {
      const selected = field.name === 'id' ? [field] : [ID_FIELD(), field];
      const text = selected.map((f) => f.selection).join(' ');
      const list = await ask<{ contacts: { edges: unknown[] } }>(
        `{ contacts(first: 500) { edges { node { ${text} } } } }`,
      );
      const entities = await ask<{ _entities: unknown[] }>(
        `query($r: [_Any!]!) { _entities(representations: $r) { ... on Contact { ${text} } } }`,
        { r: representations },
      );
      if (!readsContacts) {
        expect(errorCode(list), field.name).toBe('FORBIDDEN');
        expect(errorCode(entities), field.name).toBe('FORBIDDEN');
        continue;
      }
      const inList = expectedViews(purpose, shown(), selected, (i) => ['contacts', 'edges', i, 'node']);
      expect(list.body.data!.contacts.edges, field.name).toEqual(inList.data.map((node) => ({ node })));
      expect(responseRedactions(list), field.name).toEqual(entryKeys(inList.redactions));
      const rows = facts.map((c) => (seesRow(purpose, c) ? c : null));
      const asEntities = expectedViews(purpose, rows, selected, (i) => ['_entities', i]);
      expect(entities.body.data!._entities, field.name).toEqual(asEntities.data);
      expect(responseRedactions(entities), field.name).toEqual(entryKeys(asEntities.redactions));
    }
  });

  it('resolves _entities for every contact: the expected view, or null for a row it may not see', async () => {
    const res = await ask<{ _entities: unknown[] }>(
      `query($r: [_Any!]!) { _entities(representations: $r) { ... on Contact { ...All } } } ${all()}`,
      { r: facts.map((c) => ({ __typename: 'Contact', id: c.id })) },
    );
    bodies.push(res.text);
    if (!mayRunOperation(purpose, 'Query._entities')) {
      expect(errorCode(res)).toBe('FORBIDDEN');
    } else {
      const rows = facts.map((c) => (seesRow(purpose, c) ? c : null));
      const expected = expectedViews(purpose, rows, fields, (i) => ['_entities', i]);
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data!._entities).toEqual(expected.data);
      expect(responseRedactions(res)).toEqual(entryKeys(expected.redactions));
    }
  });

  it('answers contact(id) for a contact of every state, and null for one it may not see', async () => {
    const ids = [...catalogue.values(), '00000000-0000-4000-8000-000000000000'];
    const expected = contactsById(purpose, facts, ids, fields);
    const res = await ask(expected.query, expected.variables);
    bodies.push(res.text);
    if (!mayRunOperation(purpose, 'Query.contact')) {
      expect(errorCode(res)).toBe('FORBIDDEN');
    } else {
      expect(expected.rows.some((row) => row !== null)).toBe(true);
      expect(expected.rows.at(-1)).toBeNull();
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data).toEqual(expected.data);
      expect(responseRedactions(res)).toEqual(entryKeys(expected.redactions));
    }
  });

  it('resolves Interaction.contact of a contact of every state: the expected view, or no interaction', async () => {
    const logged = await server.sql<{ id: string; contact_id: string }>(
      `select distinct on (contact_id) id, contact_id from interaction where contact_id = any($1::uuid[])
       order by contact_id, id`,
      [[...catalogue.values()]],
    );
    // Every live case has one; a tombstone has none left.
    const byId = new Map(facts.map((c) => [c.id, c]));
    expect(logged.length).toBe([...catalogue.values()].filter((id) => !byId.get(id)!.erased).length);
    const res = await ask(
      `query(${logged.map((_, i) => `$i${i}: ID!`).join(', ')}) {
        ${logged.map((_, i) => `i${i}: interaction(id: $i${i}) { id contact { ...All } }`).join(' ')} } ${all()}`,
      Object.fromEntries(logged.map((row, i) => [`i${i}`, row.id])),
    );
    bodies.push(res.text);
    if (!mayRunOperation(purpose, 'Query.interaction')) {
      expect(errorCode(res)).toBe('FORBIDDEN');
    } else {
      const redactions: RedactionEntry[] = [];
      const data = Object.fromEntries(
        logged.map((row, i) => {
          const contact = byId.get(row.contact_id)!;
          if (!seesRow(purpose, contact)) return [`i${i}`, null];
          const relation = decideField(purpose, 'Interaction.contact', stateOf(contact));
          if (!relation.allowed) {
            const field = 'Interaction.contact';
            redactions.push({
              path: [`i${i}`, 'contact'],
              field,
              category: categoryOf(field),
              reason: relation.reason,
            });
            return [`i${i}`, { id: row.id, contact: null }];
          }
          const view = expectedContact(purpose, contact, fields, [`i${i}`, 'contact']);
          redactions.push(...view.redactions);
          return [`i${i}`, { id: row.id, contact: view.data }];
        }),
      );
      expect(Object.values(data).some((value) => value !== null)).toBe(true);
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data).toEqual(data);
      expect(responseRedactions(res)).toEqual(entryKeys(redactions));
    }
  });

  it('lists each company’s contacts: the rows it may see, newest first, with the expected values', async () => {
    const companies = await server.sql<{ id: string }>('select id from company order by id');
    const relation = decideField(purpose, 'Company.contacts', ORDINARY_CONTACT);
    let reached = 0;
    for (const { id } of companies) {
      const res = await ask<{ company: { id: string; contacts: unknown } }>(
        `query($id: ID!) { company(id: $id) { id contacts(first: 100) { totalCount edges { node { ...All } } } } }
         ${all()}`,
        { id },
      );
      bodies.push(res.text);
      expect(res.body.errors).toBeUndefined();
      if (!relation.allowed) {
        // The relation itself is personal data the purpose may not follow (packages/policy).
        expect(res.body.data!.company).toEqual({ id, contacts: null });
        expect(responseRedactions(res)).toEqual(
          entryKeys([
            {
              path: ['company', 'contacts'],
              field: 'Company.contacts',
              category: categoryOf('Company.contacts'),
              reason: relation.reason,
            },
          ]),
        );
        continue;
      }
      // The same fact from the other side: only contacts whose Contact.company the purpose may see (a restricted
      // contact's employer is hidden from support, so the company does not list that person either).
      const rows = shown().filter(
        (c) => c.companyId === id && decideField(purpose, 'Contact.company', stateOf(c)).allowed,
      );
      reached += rows.length;
      const expected = expectedViews(purpose, rows, fields, (i) => [
        'company',
        'contacts',
        'edges',
        i,
        'node',
      ]);
      expect(res.body.data!.company).toEqual({
        id,
        contacts: { totalCount: rows.length, edges: expected.data.map((node) => ({ node })) },
      });
      expect(responseRedactions(res)).toEqual(entryKeys(expected.redactions));
    }
    expect(companies.length).toBeGreaterThan(0);
    // Contacts are reached through their companies exactly when the purpose reads contact rows at all.
    expect(reached > 0).toBe(relation.allowed && PURPOSE_DEFINITIONS[purpose].rows.contacts !== 'none');
  });

  it('answers the updateContact payload like a read of the stored row, NOT_FOUND for a row it may not see', async () => {
    const update = `mutation($id: ID!) { updateContact(id: $id, input: {}) { ...All } } ${all()}`;
    if (!mayRunOperation(purpose, 'Mutation.updateContact')) {
      const res = await ask(update, { id: catalogue.get('ordinary')! });
      expect(errorCode(res)).toBe('FORBIDDEN');
      expect(res.body.data).toEqual({ updateContact: null });
    } else {
      let written = 0;
      let refused = 0;
      for (const id of catalogue.values()) {
        const res = await ask<{ updateContact: unknown }>(update, { id });
        bodies.push(res.text);
        const stored = (await loadContactFacts(server)).find((c) => c.id === id)!;
        if (seesRow(purpose, stored)) {
          written++;
          const expected = expectedViews(purpose, [stored], fields, () => ['updateContact']);
          expect(res.body.errors).toBeUndefined();
          expect(res.body.data!.updateContact).toEqual(expected.data[0]);
          expect(responseRedactions(res)).toEqual(entryKeys(expected.redactions));
        } else {
          refused++;
          expect(errorCode(res)).toBe('NOT_FOUND');
          expect(res.body.data).toEqual({ updateContact: null });
        }
      }
      expect(written).toBeGreaterThan(0);
      expect(refused > 0).toBe(excludesSomeState(purpose));
    }
  });

  it('answers the createContact payload like a read of the stored row, derived fields included', async () => {
    // The fields the purpose may write (those it may read) on a new contact, with values to derive from.
    const optional: [string, PersonalField, unknown][] = [
      ['phone', 'Contact.phone', '+14155550123'],
      ['birthDate', 'Contact.birthDate', '1980-02-03'],
      [
        'address',
        'Contact.address',
        { street: '1 Payload Road', city: 'Testville', postalCode: '12345', country: 'FR' },
      ],
      ['ipAddress', 'Contact.ipAddress', '192.0.2.44'],
      ['healthNotes', 'Contact.healthNotes', 'Payload health note.'],
    ];
    const input = {
      fullName: `Payload ${role}`,
      email: `payload.${role}.${purpose}@example.com`,
      ...Object.fromEntries(
        optional
          .filter(([, field]) => decideField(purpose, field, ORDINARY_CONTACT).allowed)
          .map(([name, , value]) => [name, value]),
      ),
    };
    const res = await ask<{ createContact: { id: string } | null }>(
      `mutation($input: CreateContactInput!) { createContact(input: $input) { ...All } } ${all()}`,
      { input },
    );
    bodies.push(res.text);
    if (!mayRunOperation(purpose, 'Mutation.createContact')) {
      expect(errorCode(res)).toBe('FORBIDDEN');
      expect(await server.sql('select id from contact where email = $1', [input.email])).toEqual([]);
    } else {
      expect(res.body.errors).toBeUndefined();
      const [created] = await server.sql<{ id: string }>('select id from contact where email = $1', [
        input.email,
      ]);
      const stored = (await loadContactFacts(server)).find((c) => c.id === created!.id)!;
      const expected = expectedContact(purpose, stored, fields, ['createContact']);
      expect(res.body.data!.createContact).toEqual(expected.data);
      expect(responseRedactions(res)).toEqual(entryKeys(expected.redactions));
    }
  });

  it('leaks no hidden value through nested paths or any of the paths above', async () => {
    bodies.push(
      (
        await ask(`query { contacts(first: 100) { edges { node { id interactions(first: 20) { edges { node {
      id subject body contact { id fullName email healthNotes } } } } } } } }`)
      ).text,
    );
    const { hidden } = partition(purpose);
    // Values to hide exist wherever the row rule leaves a state out or a scanned field is not the purpose's.
    const purposeFields: readonly string[] = PURPOSE_DEFINITIONS[purpose].fields;
    expect(hidden.size > 0).toBe(
      excludesSomeState(purpose) || SCANNED.some((field) => !purposeFields.includes(field)),
    );
    const everything = bodies.join('\n');
    expect(everything.length).toBeGreaterThan(0);
    const leaked = [...hidden].filter((value) => everything.includes(JSON.stringify(value).slice(1, -1)));
    expect(leaked).toEqual([]);
  });

  it('answers for a row it may not see exactly as for an id that does not exist', async () => {
    const states = new Set(catalogue.values());
    const unseen = facts.filter((c) => !seesRow(purpose, c) && states.has(c.id));
    expect(unseen.length > 0).toBe(excludesSomeState(purpose));
    const missing = '00000000-0000-4000-8000-000000000000';
    for (const hiddenRow of unseen) {
      const read = await ask(
        `query($a: ID!, $b: ID!) { a: contact(id: $a) { id } b: contact(id: $b) { id } }`,
        {
          a: hiddenRow.id,
          b: missing,
        },
      );
      const entities = await ask<{ _entities: unknown[] }>(
        'query($r: [_Any!]!) { _entities(representations: $r) { ... on Contact { id } } }',
        { r: [{ __typename: 'Contact', id: hiddenRow.id }] },
      );
      if (!mayRunOperation(purpose, 'Query.contact')) {
        expect(errorCode(read)).toBe('FORBIDDEN');
        expect(errorCode(entities)).toBe('FORBIDDEN');
        continue;
      }
      expect(read.body.data).toEqual({ a: null, b: null });
      expect(read.body.extensions?.redactions).toBeUndefined();
      expect(entities.body.data?._entities).toEqual([null]);
      if (mayRunOperation(purpose, 'Mutation.updateContact')) {
        const update = (id: string) =>
          ask('mutation($id: ID!) { updateContact(id: $id, input: { fullName: "X Y" }) { id } }', { id });
        const [hiddenAnswer, missingAnswer] = [await update(hiddenRow.id), await update(missing)];
        expect(errorCode(hiddenAnswer)).toBe('NOT_FOUND');
        expect(hiddenAnswer.body.errors?.[0]?.message).toBe(missingAnswer.body.errors?.[0]?.message);
        const [row] = await server.sql<{ full_name: string }>('select full_name from contact where id = $1', [
          hiddenRow.id,
        ]);
        expect(row!.full_name).toBe(hiddenRow.fullName);
      }
    }
  });
});

/** The fields whose values the raw-text scan looks for. */
const SCANNED = [
  'Contact.fullName',
  'Contact.email',
  'Contact.phone',
  'Contact.birthDate',
  'Contact.address',
  'Contact.ipAddress',
  'Contact.healthNotes',
  'Interaction.subject',
  'Interaction.body',
];

/** The distinctive personal values of a contact, by the policy field that carries them. */
function valuesOf(c: ContactFacts): [PersonalField, string][] {
  const list: [string, string | null][] = [
    ['Contact.fullName', c.fullName],
    ['Contact.email', c.email],
    ['Contact.phone', c.phone],
    ['Contact.birthDate', c.birthDate],
    ['Contact.address', c.street],
    ['Contact.ipAddress', c.ipAddress],
    ['Contact.healthNotes', c.healthNotes],
  ];
  for (const i of interactions.filter((x) => x.contact_id === c.id)) {
    list.push(['Interaction.subject', i.subject], ['Interaction.body', i.body]);
  }
  return list.filter(
    (entry): entry is [PersonalField, string] =>
      isPersonalField(entry[0]) && entry[1] !== null && entry[1].length >= 6,
  );
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

describe('data minimisation and row rules in the SQL itself', () => {
  const listSql = async (role: Role, purpose: Purpose) => {
    const token = await server.token([role]);
    const statements = await server.countSql(() =>
      server.gql(`{ contacts(first: 5) { edges { node { ...All } } } } ${all()}`, { token, purpose }),
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
    const restricted = contacts.find((c) => c.restricted && !c.erased)!;
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
    const target = contacts.find((c) => !c.restricted && !c.erased && !c.consents.sales)!;
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
    expect(row!.full_name).toBe(target.fullName);
  });

  it('redacts a mutation payload like a query', async () => {
    const target = contacts.find((c) => !c.restricted && !c.erased && !c.consents.sales)!;
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
        reason: target.limitSensitive ? 'SENSITIVE_USE_LIMITED' : 'SPECIAL_CATEGORY',
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
      companies: { edges: { node: { contacts: { totalCount: number } | null } }[] };
    }>('{ companies(first: 5) { edges { node { contacts { totalCount } } } } }', {
      token: analyst,
      purpose: 'analytics',
    });
    // Who works where is personal data analytics may not follow: each company's contacts are null, with an entry.
    const analyticsCompanies = companies.body.data!.companies.edges;
    const closed = decideField('analytics', 'Company.contacts', ORDINARY_CONTACT);
    if (closed.allowed) throw new Error('the policy lets analytics follow Company.contacts');
    expect(analyticsCompanies.length).toBeGreaterThan(0);
    expect(analyticsCompanies.every((e) => e.node.contacts === null)).toBe(true);
    expect(responseRedactions(companies)).toEqual(
      entryKeys(
        analyticsCompanies.map((_, i) => ({
          path: ['companies', 'edges', i, 'node', 'contacts'],
          field: 'Company.contacts',
          category: categoryOf('Company.contacts'),
          reason: closed.reason,
        })),
      ),
    );
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

describe('a row decided where it is reached (row views)', () => {
  // support_agent / customer_support sees restricted contacts with some fields redacted (the catalogue holds them).
  const purpose: Purpose = 'customer_support';
  const QUERY = `query($s: Boolean!) { contacts(first: 500) {
    a: edges { n: node { id e: email email phone @skip(if: $s) ...F } }
    edges { cursor }
  } }
  fragment F on Contact { x: fullName ... @include(if: $s) { y: birthDate } }`;

  /** What the policy's table says each listed row must answer under the aliases above, for `s`. */
  function expected(s: boolean, ids: readonly string[], contacts: readonly ContactFacts[]) {
    const selected: [string, string][] = [
      ['e', 'email'],
      ['email', 'email'],
      ...(s ? [] : ([['phone', 'phone']] as [string, string][])),
      ['x', 'fullName'],
      ...(s ? ([['y', 'birthDate']] as [string, string][]) : []),
    ];
    const byId = new Map(contacts.map((c) => [c.id, c]));
    const redactions: RedactionEntry[] = [];
    const nodes = ids.map((id, index) => {
      const contact = byId.get(id)!;
      const node: Record<string, unknown> = { id };
      for (const [responseName, name] of selected) {
        const view = expectedContact(
          purpose,
          contact,
          [{ name } as ContactFieldSelection],
          ['contacts', 'a', index, 'n'],
        );
        node[responseName] = view.data[name];
        for (const entry of view.redactions)
          redactions.push({ ...entry, path: [...entry.path.slice(0, -1), responseName] });
      }
      return node;
    });
    return { nodes, redactions: entryKeys(redactions) };
  }

  for (const s of [true, false]) {
    it(`answers each row's view under the client's aliases, @skip/@include by variable (s = ${s})`, async () => {
      const token = await server.token(['support_agent']);
      const res = await server.gql<{ contacts: { a: { n: Record<string, unknown> }[]; edges: unknown[] } }>(
        QUERY,
        {
          token,
          purpose,
          variables: { s },
        },
      );
      expect(res.body.errors).toBeUndefined();
      // Read now: the tests above create and change contacts.
      const now = await loadContactFacts(server);
      const listed = res.body.data!.contacts.a.map((edge) => edge.n);
      const ids = listed.map((node) => node.id as string);
      // Every row the rule admits, and some of them with redacted fields (restricted contacts).
      expect(ids).toEqual(
        now
          .filter((c) => seesRow(purpose, c))
          .map((c) => c.id)
          .slice(0, 500),
      );
      const want = expected(s, ids, now);
      expect(want.redactions.length).toBeGreaterThan(0);
      expect(listed).toEqual(want.nodes);
      expect(responseRedactions(res)).toEqual(want.redactions);
    });
  }
});
