import { readFileSync } from 'node:fs';
import { printSubgraphSchema } from '@apollo/subgraph';
import { isOperation, isPersonalField, NON_PERSONAL_FIELDS, PERSONAL_FIELD_NAMES } from '@custos/policy';
import { GraphQLObjectType } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSchema } from '../src/schema.js';
import { schemaDiff, startTestServer, type TestServer } from './support/harness.js';
import { expectPolicyDirectives, personalFieldsOf } from './support/sdl.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.close());

describe('GraphQL schema', () => {
  it('is committed as apps/subgraph/schema.graphql exactly as the code prints it (run `npm run sdl`)', () => {
    const committed = readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8');
    expect(committed).toBe(`${printSubgraphSchema(buildSchema())}\n`);
  });

  it('marks every personal field it serves, and only those, with @pii and @policy from the policy table', () => {
    const schema = buildSchema();
    expectPolicyDirectives(schema);
    // Every personal field of the policy is served here but the tickets subgraph's: Ticket's, and the
    // relations it contributes to Contact (its own test checks those).
    const ticketsSubgraph = (field: string) =>
      field.startsWith('Ticket.') || field === 'Contact.tickets' || field === 'Contact.ticketConnection';
    expect(personalFieldsOf(schema).sort()).toEqual(
      PERSONAL_FIELD_NAMES.filter((field) => !ticketsSubgraph(field)).sort(),
    );
  });

  it('classifies every field of every domain type, and names every operation in the policy', () => {
    const schema = buildSchema();
    const nonPersonal = new Set<string>(NON_PERSONAL_FIELDS);
    const unclassified: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (!(type instanceof GraphQLObjectType) || type.name.startsWith('_')) continue;
      // Plumbing types carry no data of their own (connections, edges, page info, the access description);
      // Address is the value of the personal field Contact.address, classified there as a whole.
      if (/(Connection|Edge|PageInfo|Access|Visibility|Redaction|Service|^Address)$/.test(type.name))
        continue;
      for (const field of Object.keys(type.getFields())) {
        const coordinate = `${type.name}.${field}`;
        if (type.name === 'Query' || type.name === 'Mutation') {
          if (!isOperation(coordinate)) unclassified.push(coordinate);
        } else if (!isPersonalField(coordinate) && !nonPersonal.has(coordinate)) {
          unclassified.push(coordinate);
        }
      }
    }
    expect(unclassified).toEqual([]);
  });
});

describe('database schema', () => {
  it('comes from the committed migrations, and the entities describe exactly that schema', async () => {
    expect(await schemaDiff(server)).toBe('');
    expect(await server.running.orm.migrator.getPending()).toEqual([]);
  });
});
