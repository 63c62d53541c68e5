import { Migration } from '@mikro-orm/migrations';

/**
 * Statistics for the row rules' consent-bit tests (packages/enforcement row-scope.ts: `(consent_granted & bit) <> 0`,
 * `(consent_objected & bit) = 0`). PostgreSQL keeps none for an expression by default and guesses that 0.5% of rows
 * pass an equality on one: for a rule that nearly every contact passes ("objection excludes"), that guess made a
 * sequential scan and a sort of the whole table look cheaper than walking the (created_at, id) index for one page —
 * sales at first 500 ran ten times slower on 100,000 contacts than on 1,000,000 (bench/README.md, "Scale"). With
 * expression statistics (PostgreSQL 14+) ANALYZE measures how many rows pass each bit, and the planner reads a page
 * from the index. One object per bit of each column, at the positions of packages/policy CONSENT_BIT (never
 * renumbered; a new purpose's bit needs a migration of its own).
 */
const BITS = [0, 1, 2, 3, 4, 5, 6] as const;
const COLUMNS = ['consent_granted', 'consent_objected'] as const;

const statistics = () =>
  COLUMNS.flatMap((column) =>
    BITS.map((bit) => ({
      name: `contact_${column}_bit${bit}_stats`,
      expression: `(${column} & ${1 << bit})`,
    })),
  );

export class Migration20261209000000ConsentBitStatistics extends Migration {
  override name = 'Migration20261209000000ConsentBitStatistics';

  override up(): void {
    for (const { name, expression } of statistics()) {
      this.addSql(`create statistics if not exists ${name} on (${expression}) from contact;`);
    }
    this.addSql('analyze contact;');
  }

  override down(): void {
    for (const { name } of statistics()) this.addSql(`drop statistics if exists ${name};`);
  }
}
