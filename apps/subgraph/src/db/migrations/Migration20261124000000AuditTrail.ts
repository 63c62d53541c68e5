import { Migration } from '@mikro-orm/migrations';

/** The monitoring rules a new installation starts with (data: the privacy officer edits them). */
export const DEFAULT_AUDIT_RULES = [
  {
    id: 'bulk-read',
    kind: 'DISTINCT_CONTACTS',
    description: 'One actor read more than 1,000 distinct contacts within 10 minutes.',
    params: { limit: 1000, minutes: 10 },
  },
  {
    id: 'off-hours',
    kind: 'OFF_HOURS',
    description: 'A purpose other than compliance was used outside 07:00–20:00 UTC on weekdays.',
    params: {
      timeZone: 'UTC',
      start: '07:00',
      end: '20:00',
      weekdays: [1, 2, 3, 4, 5],
      purposes: ['customer_support', 'sales', 'marketing', 'sale_share', 'analytics'],
    },
  },
  {
    id: 'forbidden-burst',
    kind: 'FORBIDDEN_REPEATED',
    description: 'One actor was refused (FORBIDDEN) 5 times within 5 minutes.',
    params: { limit: 5, minutes: 5 },
  },
] as const;

/**
 * The audit trail (GDPR Art 5(2), 30, 32): who saw which personal field of whom, for what purpose.
 * - `audit_batch`: one row per flush of a service's buffer, hash-chained (`prev_hash` → `hash`); the hash covers
 *   the digest of every event of the batch, in order.
 * - `audit_event`: one per operation and subgraph: actor, purpose, policy version, operation, request ids,
 *   outcome, and `digest` over all of it and its accesses.
 * - `audit_access`: per event, the subjects grouped by what reached the caller (channel, fields revealed, fields
 *   redacted). Subjects are pseudonyms, never contact ids.
 * - `audit_subject`: contact id → pseudonym. The only link from the log to a person: an erasure deletes the
 *   contact's row here, and the log, untouched, verifies as before but can no longer name them.
 * Batches, events and accesses are append-only for every role (triggers) and, for the application role, by its
 * privileges (db/roles.ts). `audit_rule` holds the monitoring rules, `audit_alert` what they raised.
 */
export class Migration20261124000000AuditTrail extends Migration {
  override name = 'Migration20261124000000AuditTrail';

  override up(): void {
    this.addSql(`
      create table audit_batch (
        seq bigint not null,
        service varchar(32) not null,
        events int not null,
        created_at timestamptz(3) not null,
        prev_hash char(64) null,
        hash char(64) not null,
        constraint audit_batch_pkey primary key (seq)
      );`);
    this.addSql(`
      create table audit_event (
        id uuid not null,
        batch_seq bigint not null,
        idx int not null,
        occurred_at timestamptz(3) not null,
        service varchar(32) not null,
        actor_sub varchar(200) not null,
        actor_roles text[] not null,
        purpose varchar(32) null,
        policy_version varchar(64) not null,
        operation_type varchar(16) not null check (operation_type in ('query', 'mutation', 'public')),
        operation_name varchar(100) null,
        root_fields text[] not null,
        request_id varchar(100) not null,
        gateway_request_id varchar(100) null,
        outcome varchar(16) not null check (outcome in ('OK', 'PARTIAL', 'FORBIDDEN', 'ERROR')),
        subjects int not null,
        digest char(64) not null,
        constraint audit_event_pkey primary key (id)
      );`);
    this.addSql('create unique index audit_event_batch_idx_unique on audit_event (batch_seq, idx);');
    this.addSql('create index audit_event_occurred_at_idx on audit_event (occurred_at, id);');
    this.addSql('create index audit_event_actor_idx on audit_event (actor_sub, occurred_at, id);');
    this.addSql('create index audit_event_purpose_idx on audit_event (purpose, occurred_at, id);');
    this.addSql(`alter table audit_event add constraint audit_event_batch_seq_foreign foreign key (batch_seq)
      references audit_batch (seq) on update no action on delete no action;`);
    this.addSql(`
      create table audit_access (
        event_id uuid not null,
        ordinal int not null,
        channel varchar(16) not null check (channel in ('QUERY', 'ENTITIES', 'MUTATION', 'EXPORT')),
        revealed text[] not null,
        redacted text[] not null,
        subjects uuid[] not null,
        constraint audit_access_pkey primary key (event_id, ordinal)
      );`);
    this.addSql('create index audit_access_subjects_idx on audit_access using gin (subjects);');
    this.addSql(`alter table audit_access add constraint audit_access_event_id_foreign foreign key (event_id)
      references audit_event (id) on update no action on delete no action;`);
    this.addSql(`
      create table audit_subject (
        contact_id uuid not null,
        pseudonym uuid not null,
        created_at timestamptz(3) not null,
        constraint audit_subject_pkey primary key (contact_id)
      );`);
    this.addSql('create unique index audit_subject_pseudonym_unique on audit_subject (pseudonym);');
    this.addSql(`
      create table audit_rule (
        id varchar(64) not null,
        kind varchar(32) not null check (kind in ('DISTINCT_CONTACTS', 'OFF_HOURS', 'FORBIDDEN_REPEATED')),
        description varchar(500) not null,
        params jsonb not null,
        enabled boolean not null default true,
        updated_at timestamptz(3) not null,
        updated_by varchar(200) not null,
        constraint audit_rule_pkey primary key (id)
      );`);
    for (const rule of DEFAULT_AUDIT_RULES) {
      this.addSql(
        `insert into audit_rule (id, kind, description, params, enabled, updated_at, updated_by) values ('${rule.id}', '${rule.kind}', '${rule.description.replace(/'/g, "''")}', '${JSON.stringify(rule.params)}', true, now(), 'migration');`,
      );
    }
    this.addSql(`
      create table audit_alert (
        id uuid not null,
        rule_id varchar(64) not null,
        kind varchar(32) not null,
        actor_sub varchar(200) not null,
        purpose varchar(32) null,
        fired_at timestamptz(3) not null,
        service varchar(32) not null,
        details jsonb not null,
        status varchar(16) not null default 'OPEN' check (status in ('OPEN', 'ACKNOWLEDGED')),
        acknowledged_by varchar(200) null,
        acknowledged_at timestamptz(3) null,
        constraint audit_alert_pkey primary key (id)
      );`);
    this.addSql('create index audit_alert_status_fired_idx on audit_alert (status, fired_at, id);');
    // Append-only for every role, like the consent ledger.
    for (const table of ['audit_batch', 'audit_event', 'audit_access']) {
      const refuse = `raise exception '${table} is append-only' using errcode = 'insufficient_privilege';`;
      for (const [trigger, when, each] of [
        [`${table}_no_update`, 'BEFORE UPDATE OR DELETE', 'ROW'],
        [`${table}_no_truncate`, 'BEFORE TRUNCATE', 'STATEMENT'],
      ] as const) {
        // Named as MikroORM names a declared trigger's function, so that the schema check sees no difference.
        const fn = `${table}_${trigger}_fn`;
        this.addSql(
          `create or replace function "${fn}"() returns trigger as $$ begin ${refuse} end; $$ language plpgsql;`,
        );
        this.addSql(
          `create trigger "${trigger}" ${when} on "${table}" for each ${each} execute function "${fn}"();`,
        );
      }
    }
  }

  override down(): void {
    for (const table of [
      'audit_alert',
      'audit_rule',
      'audit_subject',
      'audit_access',
      'audit_event',
      'audit_batch',
    ]) {
      this.addSql(`drop table if exists ${table};`);
    }
    for (const table of ['audit_batch', 'audit_event', 'audit_access']) {
      this.addSql(`drop function if exists ${table}_${table}_no_update_fn();`);
      this.addSql(`drop function if exists ${table}_${table}_no_truncate_fn();`);
    }
  }
}
