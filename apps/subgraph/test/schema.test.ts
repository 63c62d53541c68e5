import { readFileSync } from 'node:fs';
import { printSubgraphSchema } from '@apollo/subgraph';
import { fieldVisibility, PERSONAL_FIELD_NAMES, PERSONAL_FIELDS, PURPOSES } from '@custos/policy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSchema } from '../src/schema/schema.js';
import { startTestServer, type TestServer } from './support/harness.js';

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

  it('marks every personal field, and only those, with @pii and @policy from the policy table', () => {
    const sdl = printSubgraphSchema(buildSchema());
    for (const field of PERSONAL_FIELD_NAMES) {
      const [type, name] = field.split('.') as [string, string];
      const block = sdl.slice(sdl.search(new RegExp(`^type ${type}\\b(?!\\w)`, 'm')));
      const line = block.split('\n').find((l) => l.trimStart().startsWith(`${name}:`))!;
      expect(line).toContain(`@pii(category: "${PERSONAL_FIELDS[field].category}")`);
      const purposes = PURPOSES.filter((p) => fieldVisibility(p, field) !== 'never');
      expect(line).toContain(`@policy(policies: [${purposes.map((p) => `["purpose:${p}"]`).join(', ')}])`);
    }
    expect(sdl.match(/@pii\(category: "/g)).toHaveLength(PERSONAL_FIELD_NAMES.length);
    expect(sdl).toContain('@composeDirective(name: "@pii")');
  });
});

describe('database schema', () => {
  it('comes from the committed migrations, and the entities describe exactly that schema', async () => {
    const diff = await server.running.orm.schema.getUpdateSchemaSQL({ wrap: false });
    expect(diff.trim()).toBe('');
    expect(await server.running.orm.migrator.getPending()).toEqual([]);
  });

  it('enforces email uniqueness case-insensitively in the database itself', async () => {
    await server.sql(
      `insert into contact (id, full_name, email, created_at, updated_at)
       values ('10000000-0000-4000-8000-000000000001', 'A', 'Same@Example.com', now(), now())`,
    );
    await expect(
      server.sql(
        `insert into contact (id, full_name, email, created_at, updated_at)
         values ('10000000-0000-4000-8000-000000000002', 'B', 'same@example.COM', now(), now())`,
      ),
    ).rejects.toThrow(/contact_email_lower_unique/);
  });
});
