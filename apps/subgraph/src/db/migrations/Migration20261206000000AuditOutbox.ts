import { Migration } from '@mikro-orm/migrations';

/**
 * Two gaps in the audit trail closed:
 * - `audit_pending`, an outbox: a mutation's audit event is inserted in the same transaction as its change, and the
 *   audit writer moves it into the hash chain (and deletes it) in one transaction of its own. A committed change
 *   always has its event, even when the process dies right after the commit.
 * - refused requests (HTTP 401/403), aggregated: one event per kind, actor (or keyed hash of the client address),
 *   purpose and reason per window, with how many refusals it stands for (`refusals`) and the last one's time.
 */
export class Migration20261206000000AuditOutbox extends Migration {
  override name = 'Migration20261206000000AuditOutbox';

  override up(): void {
    this.addSql(`
      create table audit_pending (
        id uuid not null,
        created_at timestamptz(3) not null,
        service varchar(32) not null,
        event jsonb not null,
        constraint audit_pending_pkey primary key (id)
      );`);
    this.addSql('create index audit_pending_created_at_idx on audit_pending (created_at, id);');
    this.addSql('alter table audit_event drop constraint audit_event_operation_type_check;');
    this.addSql(`alter table audit_event add constraint audit_event_operation_type_check
      check (operation_type in ('query', 'mutation', 'public', 'request'));`);
    this.addSql('alter table audit_event drop constraint audit_event_outcome_check;');
    this.addSql(`alter table audit_event add constraint audit_event_outcome_check
      check (outcome in ('OK', 'PARTIAL', 'FORBIDDEN', 'ERROR', 'UNAUTHENTICATED'));`);
    this.addSql(`alter table audit_event add column refusal_reason varchar(32) null,
      add column refusals int null, add column last_refused_at timestamptz(3) null;`);
  }

  override down(): void {
    this.addSql('drop table if exists audit_pending;');
    this.addSql(`alter table audit_event drop column refusal_reason, drop column refusals,
      drop column last_refused_at;`);
  }
}
