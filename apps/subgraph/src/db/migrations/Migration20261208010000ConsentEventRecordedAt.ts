import { Migration } from '@mikro-orm/migrations';

/**
 * The dashboard's consent trend counts ledger events by when they were recorded, over a window of days or months:
 * an index on `recorded_at` lets it read that window instead of the whole append-only ledger.
 */
export class Migration20261208010000ConsentEventRecordedAt extends Migration {
  override name = 'Migration20261208010000ConsentEventRecordedAt';

  override up(): void {
    this.addSql('create index consent_event_recorded_at_idx on consent_event (recorded_at);');
  }

  override down(): void {
    this.addSql('drop index if exists consent_event_recorded_at_idx;');
  }
}
