import { Migration } from '@mikro-orm/migrations';

/**
 * The GIN index on audit_access.subjects only over the rows that have inline subjects. The writer has stored every
 * access by subject set (subject_set, subjects null) since subject sets: each of its rows still put an entry for
 * its null into the GIN index (one index insertion and one WAL record per audit event, for nothing a query uses).
 * The queries on it (`subjects @> array[…]`: an erasure's trace, retention) use a strict operator, so PostgreSQL
 * proves `subjects is not null` for them and still uses the partial index.
 */
export class Migration20261210000000AuditAccessSubjectsPartial extends Migration {
  override name = 'Migration20261210000000AuditAccessSubjectsPartial';

  override up(): void {
    this.addSql('drop index if exists audit_access_subjects_idx;');
    this.addSql(
      'create index audit_access_subjects_idx on audit_access using gin (subjects) where subjects is not null;',
    );
  }

  override down(): void {
    this.addSql('drop index if exists audit_access_subjects_idx;');
    this.addSql('create index audit_access_subjects_idx on audit_access using gin (subjects);');
  }
}
