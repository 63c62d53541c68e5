import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support/harness.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ seedContacts: 200 });
});
afterAll(() => server?.close());

const NESTED = `query($first: Int!) { contacts(first: $first) { totalCount edges { node { id
  company { id name contacts(first: 3) { totalCount edges { node { id } } } }
  interactions(first: 5) { totalCount edges { node { id contact { id fullName } } } } } } } }`;

const selects = (statements: string[]) =>
  statements.filter((s) => /^\s*select/i.test(s.replace(/^\[query\]\s*/, '')));

describe('no N+1: nested lists are batch-loaded', () => {
  it('runs the same number of statements for 5 contacts as for 200, each nested level in one', async () => {
    const small = await server.countSql(() => server.gql(NESTED, { variables: { first: 5 } }));
    const large = await server.countSql(async () => {
      const res = await server.gql<{ contacts: { edges: unknown[] } }>(NESTED, { variables: { first: 200 } });
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data!.contacts.edges).toHaveLength(200);
    });
    // contacts page, totalCount, companies, company.contacts page + count, interactions page + count,
    // interaction.contact: eight statements whatever the page size.
    expect(selects(small)).toHaveLength(8);
    expect(selects(large)).toHaveLength(8);
    expect(large.length).toBe(small.length);
  });

  it('serves a contacts page in one statement, its row rule and redaction included', async () => {
    for (const [role, purpose] of [
      ['support_agent', 'customer_support'],
      ['sales_rep', 'sales'],
      ['marketer', 'marketing'],
    ] as const) {
      const token = await server.token([role]);
      const statements = await server.countSql(() =>
        server.gql('{ contacts(first: 50) { edges { node { id fullName email phone } } } }', {
          token,
          purpose,
        }),
      );
      expect({ purpose, statements: selects(statements).length }).toEqual({ purpose, statements: 1 });
    }
  });

  it('loads _entities representations in one statement', async () => {
    const ids = (await server.sql<{ id: string }>('select id from contact order by id limit 50')).map(
      (r) => r.id,
    );
    const statements = await server.countSql(async () => {
      const res = await server.gql<{ _entities: { id: string }[] }>(
        'query($r: [_Any!]!) { _entities(representations: $r) { ... on Contact { id email } } }',
        { variables: { r: ids.map((id) => ({ __typename: 'Contact', id })) } },
      );
      expect(res.body.data!._entities.map((e) => e.id)).toEqual(ids);
    });
    expect(selects(statements)).toHaveLength(1);
  });

  it('selects only the columns a contacts query reads, through fragments too', async () => {
    const statements = await server.countSql(async () => {
      const res = await server.gql(
        `{ contacts(first: 3) { edges { node { ...Mail } } nodes { ... on Contact { phoneLast4 } } } }
         fragment Mail on Contact { emailMasked }`,
      );
      expect(res.body.errors).toBeUndefined();
    });
    const [list] = selects(statements);
    expect(list).toMatch(/c\.email/);
    expect(list).toMatch(/c\.phone/);
    for (const column of ['full_name', 'health_notes', 'ip_address', 'birth_date', 'address_street']) {
      expect(list).not.toContain(column);
    }
  });

  it('uses a bind parameter for every value: no submitted value appears in the SQL text', async () => {
    const needle = "O'Brien-needle";
    const statements = await server.countSql(() =>
      server.gql('query($f: ContactFilter) { contacts(filter: $f) { totalCount } }', {
        variables: { f: { search: needle } },
      }),
    );
    expect(statements.length).toBeGreaterThan(0);
    expect(statements.join('\n')).not.toContain('needle');
  });
});
