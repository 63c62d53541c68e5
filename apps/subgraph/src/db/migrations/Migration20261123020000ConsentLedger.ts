import { createHash } from 'node:crypto';
import { Migration } from '@mikro-orm/migrations';

/** The privacy notice the demo and the first consents refer to (a deployment publishes its own). */
export const FIRST_NOTICE = {
  version: '2026-01',
  text:
    'We use your contact details to provide the service you signed up for. With your consent we also send you ' +
    'marketing and may share your details with partners (sale/share). You can withdraw consent or object at any ' +
    'time, as easily as you gave it.',
  publishedAt: '2026-01-01T00:00:00.000Z',
};

/**
 * The consent ledger (GDPR Art 7(1): the controller must be able to demonstrate consent).
 * - `privacy_notice`: versioned notices; an event names the version the person saw.
 * - `consent_event`: append-only. Each event carries `seq` (per contact) and the hash of the contact's previous
 *   event, so that an edited, removed or reordered event is detected (`verifyConsentChain`). UPDATE, DELETE and
 *   TRUNCATE are refused by triggers, for every role: the database enforces it, not only the code. The services
 *   connect as an application role that holds only SELECT and INSERT here and owns nothing, so it can neither
 *   rewrite rows nor drop the triggers (db/roles.ts).
 * - `consent_evidence`: what names the person (source, user agent, keyed HMAC of the IP) lives beside the chain,
 *   which holds only its digest: an erasure can delete the evidence and the chain still verifies.
 * `consent_state` (current status per contact and purpose) is maintained in the same transaction as each event.
 */
export class Migration20261123020000ConsentLedger extends Migration {
  override name = 'Migration20261123020000ConsentLedger';

  override up(): void {
    this.addSql(`
      create table privacy_notice (
        version varchar(32) not null,
        text text not null,
        text_sha256 char(64) not null,
        published_at timestamptz(3) not null,
        constraint privacy_notice_pkey primary key (version)
      );`);
    this.addSql(
      `insert into privacy_notice (version, text, text_sha256, published_at) values ('${FIRST_NOTICE.version}', '${FIRST_NOTICE.text.replace(/'/g, "''")}', '${createHash('sha256').update(FIRST_NOTICE.text).digest('hex')}', '${FIRST_NOTICE.publishedAt}');`,
    );
    this.addSql(`
      create table consent_event (
        id uuid not null,
        contact_id uuid not null,
        seq int not null,
        purpose varchar(32) not null,
        status varchar(16) not null check (status in ('GRANTED', 'DENIED', 'WITHDRAWN', 'OBJECTED')),
        method varchar(16) not null check (method in ('WEB_FORM', 'EMAIL', 'PHONE', 'IMPORT', 'GPC', 'ADMIN')),
        notice_version varchar(32) null,
        captured_at timestamptz(3) not null,
        recorded_at timestamptz(3) not null,
        recorded_by varchar(200) not null,
        evidence_digest char(64) null,
        prev_hash char(64) null,
        hash char(64) not null,
        constraint consent_event_pkey primary key (id)
      );`);
    this.addSql('create unique index consent_event_contact_seq_unique on consent_event (contact_id, seq);');
    this.addSql(`alter table consent_event add constraint consent_event_contact_id_foreign foreign key (contact_id)
      references contact (id) on update cascade;`);
    this.addSql(`alter table consent_event add constraint consent_event_notice_version_foreign foreign key
      (notice_version) references privacy_notice (version) on update cascade on delete set null;`);
    this.addSql(`
      create table consent_evidence (
        event_id uuid not null,
        source varchar(200) null,
        user_agent varchar(500) null,
        ip_hmac char(64) null,
        constraint consent_evidence_pkey primary key (event_id)
      );`);
    this.addSql(`alter table consent_evidence add constraint consent_evidence_event_id_foreign foreign key (event_id)
      references consent_event (id) on update cascade;`);
    // Append-only for every role (declared on the entity, so the schema check knows them).
    const refuse = "raise exception 'consent_event is append-only' using errcode = 'insufficient_privilege';";
    for (const [trigger, when, each] of [
      ['consent_event_no_update', 'BEFORE UPDATE OR DELETE', 'ROW'],
      ['consent_event_no_truncate', 'BEFORE TRUNCATE', 'STATEMENT'],
    ] as const) {
      const fn = `consent_event_${trigger}_fn`;
      this.addSql(
        `create or replace function "${fn}"() returns trigger as $$ begin ${refuse} end; $$ language plpgsql;`,
      );
      this.addSql(
        `create trigger "${trigger}" ${when} on "consent_event" for each ${each} execute function "${fn}"();`,
      );
    }
  }

  override down(): void {
    this.addSql('drop table if exists consent_evidence;');
    this.addSql('drop table if exists consent_event;');
    this.addSql('drop function if exists consent_event_consent_event_no_update_fn();');
    this.addSql('drop function if exists consent_event_consent_event_no_truncate_fn();');
    this.addSql('drop table if exists privacy_notice;');
  }
}
