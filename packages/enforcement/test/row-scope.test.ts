import { CONSENT_BIT, PURPOSE_DEFINITIONS, PURPOSES, type Purpose } from '@custos/policy';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { rowScope } from '../src/row-scope.js';

/**
 * Each purpose's row rule, run by PostgreSQL over every combination of a contact's privacy state, against the
 * rule as the policy table states it (packages/policy, RowRule): which rows exist for the purpose.
 */
type Status = 'NONE' | 'GRANTED' | 'OBJECTED';
interface State {
  readonly erased: boolean;
  readonly restricted: boolean;
  readonly status: Status;
}

const STATES: State[] = [false, true].flatMap((erased) =>
  [false, true].flatMap((restricted) =>
    (['NONE', 'GRANTED', 'OBJECTED'] as const).map((status) => ({ erased, restricted, status })),
  ),
);

/** RowRule's documented meaning, field by field (purposes.ts), for one state. */
function expectedVisible(purpose: Purpose, state: State): boolean {
  const rule = PURPOSE_DEFINITIONS[purpose].rows;
  if (rule.contacts === 'none') return false;
  if (rule.contacts === 'live' && state.erased) return false;
  if (rule.restricted === 'exclude' && state.restricted) return false;
  if (rule.requiresConsent && state.status !== 'GRANTED') return false;
  if (rule.objection === 'exclude' && state.status === 'OBJECTED') return false;
  return true;
}

let client: pg.Client;
beforeAll(async () => {
  client = new pg.Client({ connectionString: inject('adminUrl') });
  await client.connect();
});
afterAll(async () => {
  await client.end();
});

describe('rowScope: a purpose sees exactly the rows its rule allows', () => {
  it.each(PURPOSES.map((purpose) => [purpose]))('%s', async (purpose) => {
    const bit = 1 << CONSENT_BIT[purpose];
    const rows = STATES.map((state, index) => [
      index,
      state.erased ? '2026-01-01T00:00:00Z' : null,
      state.restricted,
      state.status === 'GRANTED' ? bit : 0,
      state.status === 'OBJECTED' ? bit : 0,
    ]);
    const values = rows.map(
      (_, i) =>
        `($${i * 5 + 1}::int, $${i * 5 + 2}::timestamptz, $${i * 5 + 3}::boolean, $${i * 5 + 4}::int, $${i * 5 + 5}::int)`,
    );
    const { rows: visible } = await client.query<{ n: number }>(
      `select c.n from (values ${values.join(', ')}) as c(n, erased_at, restricted, consent_granted, consent_objected)
        where ${rowScope(purpose)} order by c.n`,
      rows.flat(),
    );
    const expected = STATES.flatMap((state, index) => (expectedVisible(purpose, state) ? [index] : []));
    expect(visible.map((row) => row.n)).toEqual(expected);
  });

  it('the purposes differ: some see every live row, one sees none, consent-based ones see only grants', () => {
    const counts = PURPOSES.map(
      (purpose) => STATES.filter((state) => expectedVisible(purpose, state)).length,
    );
    expect(Math.max(...counts)).toBeGreaterThan(Math.min(...counts));
    expect(counts).toContain(0);
  });
});
