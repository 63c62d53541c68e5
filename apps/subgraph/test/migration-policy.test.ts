import { CONSENT_BIT, PURPOSES, type Purpose } from '@custos/policy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrations } from '../src/db/migrations/index.js';
import { Migration20261123030000ConsentBits } from '../src/db/migrations/Migration20261123030000ConsentBits.js';
import { DEFAULT_AUDIT_RULES } from '../src/db/migrations/Migration20261124000000AuditTrail.js';
import { Migration20261209000000ConsentBitStatistics } from '../src/db/migrations/Migration20261209000000ConsentBitStatistics.js';
import {
  Migration20261211010000OffHoursDescription,
  OFF_HOURS_DESCRIPTION,
} from '../src/db/migrations/Migration20261211010000OffHoursDescription.js';
import { startTestServer, type TestServer } from './support/harness.js';

/**
 * Landed migrations are history and never change, yet some wrote the policy's purposes down as data of their own
 * (the consent bits' backfill, the statistics per bit, the installed off-hours rule). These tests hold that data
 * to packages/policy: a purpose renumbered, added or renamed in the policy without a migration of its own fails
 * here, not in production's row rules or monitoring.
 */

/** The SQL a migration's `up` writes, without running it (no driver needed: `addSql` only collects). */
function sqlOf(Migration: (typeof migrations)[number]['class']): string {
  const migration = new Migration(undefined as never, undefined as never);
  void migration.up();
  return migration.getQueries().map(String).join('\n');
}

/** Each purpose's bit value, as the policy numbers it: computed here from CONSENT_BIT's positions. */
const POLICY_BITS: Record<string, number> = Object.fromEntries(
  PURPOSES.map((purpose) => [purpose, 2 ** CONSENT_BIT[purpose]]),
);

describe('the consent bits written by landed migrations', () => {
  it('are the policy’s: the backfill maps every purpose to its CONSENT_BIT, and nothing else', () => {
    const sql = sqlOf(Migration20261123030000ConsentBits);
    const written = Object.fromEntries(
      [...sql.matchAll(/when '([a-z_]+)' then (\d+)/g)].map(([, purpose, value]) => [purpose, Number(value)]),
    );
    expect(Object.keys(written).sort()).toEqual([...PURPOSES].sort());
    expect(written).toEqual(POLICY_BITS);
    // Each bit once: no two purposes share a position (a smallint holds 15 of them).
    const positions = PURPOSES.map((purpose) => CONSENT_BIT[purpose]);
    expect(new Set(positions).size).toBe(PURPOSES.length);
    expect(Math.max(...positions)).toBeLessThan(15);
  });

  it('have statistics for every bit of both columns', () => {
    const sql = sqlOf(Migration20261209000000ConsentBitStatistics);
    const stats = [...sql.matchAll(/\((consent_granted|consent_objected) & (\d+)\)/g)].map(
      ([, column, value]) => `${column}&${value}`,
    );
    const expected = ['consent_granted', 'consent_objected'].flatMap((column) =>
      Object.values(POLICY_BITS).map((value) => `${column}&${value}`),
    );
    expect(stats.sort()).toEqual(expected.sort());
  });
});

describe('the installed off-hours rule', () => {
  /**
   * What the rule leaves out, by decision (README, "Audit trail"): compliance (the privacy officer's own work) and
   * administration (ids and timestamps only; system work at any hour, still watched by bulk-read and
   * forbidden-burst). Every other purpose of the policy is watched.
   */
  const UNWATCHED: readonly Purpose[] = ['compliance', 'administration'];
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ seedContacts: 0 });
  });
  afterAll(() => server?.close());

  const stored = async () =>
    (
      await server.sql<{ description: string; params: { purposes: string[] }; updated_by: string }>(
        `select description, params, updated_by from audit_rule where id = 'off-hours'`,
      )
    )[0]!;

  it('watches every purpose of the policy but compliance and administration, and its description says so', async () => {
    const rule = await stored();
    const watched = PURPOSES.filter((purpose) => !UNWATCHED.includes(purpose));
    expect([...rule.params.purposes].sort()).toEqual([...watched].sort());
    expect(rule.description).toBe(OFF_HOURS_DESCRIPTION.now);
    // The description names exactly the purposes the rule leaves out.
    for (const purpose of PURPOSES) {
      expect({ purpose, named: rule.description.includes(purpose) }).toEqual({
        purpose,
        named: UNWATCHED.includes(purpose),
      });
    }
    // The landed default said otherwise: that is what the new migration corrected.
    const installed = DEFAULT_AUDIT_RULES.find((r) => r.id === 'off-hours')!;
    expect(installed.description).toBe(OFF_HOURS_DESCRIPTION.was);
    expect([...installed.params.purposes].sort()).toEqual([...watched].sort());
  });

  it('corrects the rule as installed only: one the privacy officer edited stays theirs', async () => {
    const migration = sqlOf(Migration20261211010000OffHoursDescription);
    try {
      await server.sql(
        `update audit_rule set description = $1, updated_by = 'migration' where id = 'off-hours'`,
        [OFF_HOURS_DESCRIPTION.was],
      );
      await server.sql(migration);
      expect(await stored()).toMatchObject({
        description: OFF_HOURS_DESCRIPTION.now,
        updated_by: 'migration',
      });

      await server.sql(
        `update audit_rule set description = $1, updated_by = 'officer' where id = 'off-hours'`,
        [OFF_HOURS_DESCRIPTION.was],
      );
      await server.sql(migration);
      expect(await stored()).toMatchObject({ description: OFF_HOURS_DESCRIPTION.was, updated_by: 'officer' });
    } finally {
      await server.sql(
        `update audit_rule set description = $1, updated_by = 'migration' where id = 'off-hours'`,
        [OFF_HOURS_DESCRIPTION.now],
      );
    }
  });

  it('runs after the rule was installed', () => {
    const names = migrations.map((m) => m.name);
    expect(names.indexOf('Migration20261211010000OffHoursDescription')).toBeGreaterThan(
      names.indexOf('Migration20261124000000AuditTrail'),
    );
  });
});
