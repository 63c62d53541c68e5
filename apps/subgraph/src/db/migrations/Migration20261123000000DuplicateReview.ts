import { Migration } from '@mikro-orm/migrations';

/**
 * Email uniqueness without an existence oracle (DESIGN.md, "Redaction semantics"): a unique index would
 * answer "this email is taken" about contacts the writer's purpose may not see (restricted, objected, or an
 * email it may not read). Uniqueness is now checked by the application against the rows and emails the
 * purpose may read, under a transaction-scoped advisory lock per email; a collision with a contact the purpose
 * may not see is written anyway and queued here for a privacy officer (compliance) to review.
 */
export class Migration20261123000000DuplicateReview extends Migration {
  override name = 'Migration20261123000000DuplicateReview';

  override up(): void {
    this.addSql('drop index contact_email_lower_unique;');
    this.addSql('create index contact_email_lower_idx on contact (lower(email));');
    this.addSql(`
      create table contact_duplicate (
        id uuid not null,
        contact_id uuid not null,
        existing_contact_id uuid not null,
        detected_for_purpose varchar(32) not null,
        detected_at timestamptz(3) not null,
        resolution varchar(16) null check (resolution in ('DISTINCT_PEOPLE', 'SAME_PERSON')),
        resolved_at timestamptz(3) null,
        constraint contact_duplicate_pkey primary key (id)
      );`);
    this.addSql(
      'create unique index contact_duplicate_pair_unique on contact_duplicate (contact_id, existing_contact_id);',
    );
    this.addSql(
      'create index contact_duplicate_open_idx on contact_duplicate (detected_at, id) where resolved_at is null;',
    );
    for (const column of ['contact_id', 'existing_contact_id']) {
      this.addSql(`alter table contact_duplicate add constraint contact_duplicate_${column}_foreign
        foreign key (${column}) references contact (id) on update cascade on delete cascade;`);
    }
  }

  override down(): void {
    this.addSql('drop table if exists contact_duplicate;');
    this.addSql('drop index if exists contact_email_lower_idx;');
    this.addSql('create unique index contact_email_lower_unique on contact (lower(email));');
  }
}
