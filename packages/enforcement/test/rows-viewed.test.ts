import { buildSchema, defaultFieldResolver, type GraphQLObjectType } from 'graphql';
import { describe, expect, it } from 'vitest';
import { assertRowsViewed } from '../src/plugin.js';
import { isRowDecided, rowDecidedFields } from '../src/row-view.js';

/**
 * A personal field without a resolver (Contact.email here, classified in packages/policy) is decided by its row's
 * view, so a schema whose field hands out such rows without making views must be refused when it is built
 * (federatedSchema runs this check on every subgraph; the real subgraphs pass it at every start).
 */
const sdl = (query: string) =>
  buildSchema(`
    type Contact { id: ID email: String }
    type Company { id: ID name: String }
    union Row = Contact | Company
    type Query { ${query} }
  `);

describe('assertRowsViewed', () => {
  it('finds the row-decided fields: personal, without a resolver of their own', () => {
    const schema = sdl('company: Company');
    const contact = schema.getType('Contact') as GraphQLObjectType;
    expect([...rowDecidedFields(contact).keys()]).toEqual(['email']);
    // Company.name is no personal field; Contact.id neither.
    expect(rowDecidedFields(schema.getType('Company') as GraphQLObjectType).size).toBe(0);
    const email = contact.getFields().email!;
    email.resolve = (row: { email: string }) => row.email;
    expect(isRowDecided(contact, email)).toBe(false);
    email.resolve = defaultFieldResolver;
    expect(isRowDecided(contact, email)).toBe(true);
  });

  it('refuses a field returning such rows, a list of them or a union holding them, without views', () => {
    for (const field of ['contact: Contact', 'contacts: [Contact!]!', 'rows: [Row]']) {
      expect(() => assertRowsViewed(sdl(field)), field).toThrow(/does not hand out their views/);
    }
  });

  it('refuses a field returning a page (a type with extensions.pageOf) that it does not bind', () => {
    const schema = sdl('company: Company');
    const company = schema.getType('Company') as GraphQLObjectType;
    // Any page type: what makes it one is the extension connectionType sets (schema-types.ts).
    company.extensions = { ...company.extensions, pageOf: 'Contact' };
    expect(() => assertRowsViewed(schema)).toThrow(/Query\.company .*does not hand out their views/);
  });

  it('accepts a schema whose fields hand out no such rows', () => {
    expect(() => assertRowsViewed(sdl('company: Company companies: [Company]'))).not.toThrow();
  });
});
