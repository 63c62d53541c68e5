import { Migration } from '@mikro-orm/migrations';

/**
 * What the policy's row rules read, next to each contact:
 * - `erased_at`: set when a contact is erased (Art 17); only a tombstone without personal data remains.
 * - `limit_sensitive`: "limit the use of my sensitive personal information" (CCPA §1798.121).
 * - `consent_state`: the current consent-ledger status per contact and purpose (GRANTED, DENIED, WITHDRAWN,
 *   OBJECTED). The consent ledger maintains it in the same transaction as each event; the row rules of
 *   marketing, sale_share and sales read it in the same SQL statement as the rows they filter.
 */
export class Migration20261122010000PrivacyState extends Migration {
  override name = 'Migration20261122010000PrivacyState';

  override up(): void {
    this.addSql('alter table contact add column erased_at timestamptz(3) null;');
    this.addSql('alter table contact add column limit_sensitive boolean not null default false;');
    // Every purpose but compliance lists live contacts only: the newest-first page is an index scan of them.
    this.addSql(
      'create index contact_live_created_at_id_idx on contact (created_at, id) where erased_at is null;',
    );
    this.addSql(`
      create table consent_state (
        contact_id uuid not null,
        purpose varchar(32) not null,
        status varchar(16) not null check (status in ('GRANTED', 'DENIED', 'WITHDRAWN', 'OBJECTED')),
        updated_at timestamptz(3) not null,
        constraint consent_state_pkey primary key (contact_id, purpose)
      );`);
    this.addSql(
      'create index consent_state_purpose_status_idx on consent_state (purpose, status, contact_id);',
    );
    this.addSql(`alter table consent_state add constraint consent_state_contact_id_foreign foreign key (contact_id)
      references contact (id) on update cascade on delete cascade;`);
    // Fresh statistics for the new columns, so that the planner does not guess their selectivity.
    this.addSql('analyze contact;');
  }

  override down(): void {
    this.addSql('drop table if exists consent_state;');
    this.addSql('alter table contact drop column if exists limit_sensitive;');
    this.addSql('alter table contact drop column if exists erased_at;');
  }
}
