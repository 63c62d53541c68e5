import { CONSENT_STATUSES, consentStatusProblem, PURPOSE_DEFINITIONS, PURPOSES } from '@custos/policy';
import { COUNTRY_CODES } from '@custos/runtime';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COUNTRIES, seedDemoData } from '../src/seed/seed.js';
import { startTestServer, type TestServer } from './support/harness.js';

let a: TestServer;
let b: TestServer;
beforeAll(async () => {
  [a, b] = await Promise.all([
    startTestServer({ seedContacts: 150 }),
    startTestServer({ seedContacts: 150 }),
  ]);
});
afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
});

/** A digest of every row of a table, in primary-key order, computed by PostgreSQL. */
async function digest(server: TestServer, table: string): Promise<string> {
  const client = new pg.Client({ connectionString: server.databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ md5: string; n: number }>(
      `select md5(coalesce(string_agg(t::text, '|' order by t.id), '')) md5, count(*)::int n from ${table} t`,
    );
    return `${rows[0]!.n}:${rows[0]!.md5}`;
  } finally {
    await client.end();
  }
}

describe('demo seed', () => {
  it('is deterministic: two databases seeded apart hold the same ids and values', async () => {
    for (const table of ['company', 'contact', 'interaction']) {
      expect(await digest(a, table)).toBe(await digest(b, table));
    }
    expect((await digest(a, 'contact')).startsWith('150:')).toBe(true);
    expect(Number((await digest(a, 'interaction')).split(':')[0])).toBeGreaterThan(150);
  });

  it('produces data that passes the API validation rules', async () => {
    const bad = await a.sql(
      `select id from contact where phone !~ '^\\+[1-9][0-9]{6,14}$' or email !~ '^[^@]+@[^@]+\\.[a-z]+$'
         or birth_date >= current_date`,
    );
    expect(bad).toEqual([]);
    for (const code of COUNTRIES) expect(COUNTRY_CODES.has(code)).toBe(true);
  });

  it('seeds, for each purpose with rows, every consent status the policy lets it take, and no other', async () => {
    const rows = await a.sql<{ purpose: string; statuses: string[] }>(
      'select purpose, array_agg(distinct status order by status) statuses from consent_state group by purpose order by purpose',
    );
    const expected = PURPOSES.filter((purpose) => PURPOSE_DEFINITIONS[purpose].rows.contacts !== 'none')
      .map((purpose) => ({
        purpose,
        statuses: CONSENT_STATUSES.filter(
          (status) => consentStatusProblem(purpose, status) === undefined,
        ).sort(),
      }))
      .filter((row) => row.statuses.length > 0)
      .sort((x, y) => x.purpose.localeCompare(y.purpose));
    expect(expected.map((row) => row.purpose)).toContain('marketing');
    expect(rows).toEqual(expected);
  });

  it('runs only on an empty database', async () => {
    const before = await digest(a, 'contact');
    const result = await seedDemoData(a.running.orm.em.fork(), { contacts: 10 });
    expect(result.seeded).toBe(false);
    expect(await digest(a, 'contact')).toBe(before);
  });
});
