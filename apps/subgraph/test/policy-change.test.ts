import { type PersonalField, PURPOSE_DEFINITIONS } from '@custos/policy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from './support/harness.js';

/**
 * A change to the policy's data changes the answers, with no resolver touched: here `sales` loses the
 * email (this test file's own copy of the policy module; other files see the real policy). The server is
 * loaded after the change, as a deployment of the changed policy would be.
 */
const sales = PURPOSE_DEFINITIONS.sales as { fields: readonly PersonalField[] };
sales.fields = sales.fields.filter((field) => field !== 'Contact.email');

let server: TestServer;
beforeAll(async () => {
  const { startTestServer } = await import('./support/harness.js');
  server = await startTestServer({ seedContacts: 20 });
});
afterAll(() => server?.close());

describe('the policy is data', () => {
  it('redacts a field for a purpose once the policy table stops listing it', async () => {
    const token = await server.token(['sales_rep']);
    const res = await server.gql<{
      contacts: { edges: { node: { email: string | null; fullName: string | null } }[] };
    }>('{ contacts(first: 3) { edges { node { email fullName } } } }', { token, purpose: 'sales' });
    const nodes = res.body.data!.contacts.edges.map((e) => e.node);
    expect(nodes.length).toBeGreaterThan(0);
    expect(nodes.every((n) => n.email === null && n.fullName !== null)).toBe(true);
    expect(res.body.extensions?.redactions).toEqual(
      nodes.map((_n, i) => ({
        path: ['contacts', 'edges', i, 'node', 'email'],
        field: 'Contact.email',
        category: 'user.contact.email',
        reason: 'PURPOSE_NOT_ALLOWED',
      })),
    );
  });

  it('no longer lets that purpose search by the field either', async () => {
    const token = await server.token(['sales_rep']);
    const statements = await server.countSql(() =>
      server.gql('query($f: ContactFilter) { contacts(filter: $f) { totalCount } }', {
        token,
        purpose: 'sales',
        variables: { f: { search: 'example' } },
      }),
    );
    const list = statements.find((s) => s.includes('count(*)'))!;
    expect(list).toContain('c.full_name ilike');
    expect(list).not.toContain('c.email ilike');
  });
});
