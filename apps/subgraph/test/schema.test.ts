import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support/harness.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.close());

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
