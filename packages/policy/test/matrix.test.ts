import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { computeMatrix, parseTables } from './matrix.js';

/**
 * The whole matrix — role × purpose, purpose × contact state (rows), purpose × field × contact state — against
 * the reviewed fixture. A difference means the policy changed: review the fixture diff, then update it.
 */
const fixture = readFileSync(new URL('./fixtures/expected-decisions.md', import.meta.url), 'utf8');
const [roles, rows, fields] = parseTables(fixture);
const computed = computeMatrix();

describe('the policy matches the reviewed decision matrix', () => {
  it('has the three tables', () => {
    expect(roles?.length).toBeGreaterThan(0);
    expect(rows?.length).toBeGreaterThan(0);
    expect(fields?.length).toBeGreaterThan(0);
  });

  it('lets each role declare exactly the purposes of table 1', () => {
    expect(computed.roles).toEqual(roles);
  });

  it('shows each purpose exactly the rows of table 2', () => {
    expect(computed.rows).toEqual(rows);
  });

  it.each(computed.fields.map((row) => [`${row[0]} ${row[1]}`, row] as const))(
    'decides %s in every contact state as table 3 says',
    (key, row) => {
      const expected = fields?.find((r) => `${r[0]} ${r[1]}` === key);
      expect(expected, `table 3 has no row for ${key}`).toBeDefined();
      expect(row).toEqual(expected);
    },
  );

  it('has no row in table 3 that the policy does not decide', () => {
    expect(fields?.map((r) => `${r[0]} ${r[1]}`)).toEqual(computed.fields.map((r) => `${r[0]} ${r[1]}`));
  });
});
