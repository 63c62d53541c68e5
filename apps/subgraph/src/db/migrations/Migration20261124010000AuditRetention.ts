import { Migration } from '@mikro-orm/migrations';

/**
 * The audit log's own retention (it holds personal data: staff identities, pseudonymous subjects): the owner role
 * deletes whole batches from the chain's oldest end and leaves an anchor — the sequence and hash of the last batch
 * removed — from which the rest of the chain still verifies. Anchors are append-only for every role.
 */
export class Migration20261124010000AuditRetention extends Migration {
  override name = 'Migration20261124010000AuditRetention';

  override up(): void {
    this.addSql(`
      create table audit_anchor (
        seq bigint not null,
        hash char(64) not null,
        pruned_at timestamptz(3) not null,
        older_than timestamptz(3) not null,
        batches int not null,
        events int not null,
        constraint audit_anchor_pkey primary key (seq)
      );`);
    const refuse = "raise exception 'audit_anchor is append-only' using errcode = 'insufficient_privilege';";
    for (const [trigger, when, each] of [
      ['audit_anchor_no_update', 'BEFORE UPDATE OR DELETE', 'ROW'],
      ['audit_anchor_no_truncate', 'BEFORE TRUNCATE', 'STATEMENT'],
    ] as const) {
      const fn = `audit_anchor_${trigger}_fn`;
      this.addSql(
        `create or replace function "${fn}"() returns trigger as $$ begin ${refuse} end; $$ language plpgsql;`,
      );
      this.addSql(
        `create trigger "${trigger}" ${when} on "audit_anchor" for each ${each} execute function "${fn}"();`,
      );
    }
  }

  override down(): void {
    this.addSql('drop table if exists audit_anchor;');
    this.addSql('drop function if exists audit_anchor_audit_anchor_no_update_fn();');
    this.addSql('drop function if exists audit_anchor_audit_anchor_no_truncate_fn();');
  }
}
