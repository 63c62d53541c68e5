import { rowScope } from '@custos/enforcement';
import { PURPOSE_DEFINITIONS, PURPOSES } from '@custos/policy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support/harness.js';

// The planner must know how many contacts each purpose's row rule lets through (migration
// Migration20261209000000ConsentBitStatistics): without statistics on the consent-bit expressions it guessed 0.5%
// for "not objected", and read a page of 500 by sorting the whole table instead of walking the index — ten times
// slower on 100,000 contacts (bench/README.md, "Scale"). Checked here as the planner's estimate against the true
// count, for every purpose whose rule tests a consent bit, after ANALYZE as autovacuum would run it.

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ seedContacts: 400 });
  await server.sql('analyze contact');
}, 120_000);
afterAll(() => server?.close());

/** The purposes whose row rule tests a consent bit on the contact row (packages/policy, read independently). */
const BIT_RULES = PURPOSES.filter((purpose) => {
  const rows = PURPOSE_DEFINITIONS[purpose].rows;
  return rows.contacts !== 'none' && (rows.requiresConsent || rows.objection === 'exclude');
});

describe('the planner’s estimate of each row rule', () => {
  it('covers the purposes whose rule tests a consent bit', () => {
    expect(BIT_RULES.length).toBeGreaterThan(0);
    for (const purpose of BIT_RULES) expect(rowScope(purpose)).toMatch(/consent_(granted|objected) &/);
  });

  it.each(BIT_RULES)('%s: within 1.5x of the rows that pass it', async (purpose) => {
    const where = rowScope(purpose);
    const [truth] = await server.sql<{ n: number }>(
      `select count(*)::int as n from contact c where ${where}`,
    );
    const [plan] = await server.sql<{ 'QUERY PLAN': [{ Plan: { 'Plan Rows': number } }] }>(
      `explain (format json) select c.id from contact c where ${where}`,
    );
    const estimate = plan!['QUERY PLAN'][0].Plan['Plan Rows'];
    const actual = truth!.n;
    // The seed gives every rule rows to pass and rows to fail.
    const [total] = await server.sql<{ n: number }>('select count(*)::int as n from contact');
    expect(actual).toBeGreaterThan(0);
    expect(actual).toBeLessThan(total!.n);
    expect(estimate).toBeGreaterThanOrEqual(actual / 1.5);
    expect(estimate).toBeLessThanOrEqual(actual * 1.5);
  });
});
