import { Migration } from '@mikro-orm/migrations';

/**
 * The installed `off-hours` monitoring rule (Migration20261124000000AuditTrail, DEFAULT_AUDIT_RULES) watches every
 * purpose but compliance and administration, as the README has said since the rule landed — yet its description
 * says "a purpose other than compliance". The purposes are right and stay; the description is corrected here.
 *
 * Administration is left out on purpose: it reads contact ids and timestamps only (every personal field and every
 * relation about a person redacted), and running the system outside office hours is its normal work; the
 * `bulk-read` and `forbidden-burst` rules still watch it at every hour. Compliance is the privacy officer's own.
 *
 * Written as data, not derived from packages/policy at run time, so that this migration does the same on every
 * installation forever (apps/subgraph/test/migration-policy.test.ts holds the stored rule to the policy's purposes
 * instead). Only the rule as installed is corrected: one the privacy officer has edited (rules are data they own)
 * is theirs and left alone.
 */
export const OFF_HOURS_DESCRIPTION = {
  was: 'A purpose other than compliance was used outside 07:00–20:00 UTC on weekdays.',
  now: 'A purpose other than compliance and administration was used outside 07:00–20:00 UTC on weekdays.',
} as const;

export class Migration20261211010000OffHoursDescription extends Migration {
  override name = 'Migration20261211010000OffHoursDescription';

  override up(): void {
    this.addSql(
      `update audit_rule set description = '${OFF_HOURS_DESCRIPTION.now}', updated_at = now()
        where id = 'off-hours' and updated_by = 'migration' and description = '${OFF_HOURS_DESCRIPTION.was}';`,
    );
  }

  override down(): void {
    this.addSql(
      `update audit_rule set description = '${OFF_HOURS_DESCRIPTION.was}', updated_at = now()
        where id = 'off-hours' and updated_by = 'migration' and description = '${OFF_HOURS_DESCRIPTION.now}';`,
    );
  }
}
