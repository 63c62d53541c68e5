import { Migration } from '@mikro-orm/migrations';

/**
 * Double opt-in for consent given through public forms (GDPR Art 7(1): the controller must be able to demonstrate
 * consent; a form anyone can post for anyone's address demonstrates nothing).
 * - `consent_submission`: what a public form posted, kept only until the `consent.submission` job has looked the
 *   email up and acted on it (then deleted in the same transaction): the job's payload names the row, never the
 *   address. The only copy of the typed address outside the contact itself, and short-lived.
 * - `consent_confirmation`: one pending grant per contact and purpose, confirmed by a single-use link that
 *   expires. Only the SHA-256 of the token's secret is stored; failed attempts are counted and lock it.
 * - `consent_event.verification`, `verified_at`, `verification_ref`: how the person's choice was verified — the
 *   confirmation mail (EMAIL_CONFIRMATION, when, its Message-ID), or not at all (UNVERIFIED_SIGNAL: a refusal,
 *   withdrawal or GPC signal from the public form, which take effect at once). Null: recorded by staff with the
 *   evidence they hold. Part of the event's hash (`custos.consent.v2`); events without them keep their v1 hash.
 */
export class Migration20261208000000ConsentConfirmation extends Migration {
  override name = 'Migration20261208000000ConsentConfirmation';

  override up(): void {
    this.addSql(`
      create table consent_submission (
        id uuid not null,
        email varchar(254) not null,
        purpose varchar(32) not null,
        status varchar(16) not null check (status in ('GRANTED', 'DENIED', 'WITHDRAWN')),
        notice_version varchar(32) null,
        source varchar(200) null,
        user_agent varchar(500) null,
        ip_hmac char(64) null,
        gpc boolean not null default false,
        received_at timestamptz(3) not null,
        request_id varchar(100) null,
        constraint consent_submission_pkey primary key (id)
      );`);
    this.addSql(`
      create table consent_confirmation (
        id uuid not null,
        contact_id uuid not null,
        purpose varchar(32) not null,
        notice_version varchar(32) not null,
        source varchar(200) null,
        user_agent varchar(500) null,
        ip_hmac char(64) null,
        requested_at timestamptz(3) not null,
        expires_at timestamptz(3) not null,
        token_hash char(64) not null,
        attempts int not null default 0,
        state varchar(16) not null default 'pending'
          check (state in ('pending', 'confirmed', 'cancelled', 'locked')),
        outbox_id uuid null,
        event_id uuid null,
        confirmed_at timestamptz(3) null,
        constraint consent_confirmation_pkey primary key (id)
      );`);
    this.addSql(`alter table consent_confirmation add constraint consent_confirmation_contact_id_foreign
      foreign key (contact_id) references contact (id) on update cascade on delete cascade;`);
    this.addSql(`create index consent_confirmation_pending_idx on consent_confirmation (contact_id, purpose)
      where state = 'pending';`);
    this.addSql('alter table consent_event add column verification varchar(24) null;');
    this.addSql('alter table consent_event add column verified_at timestamptz(3) null;');
    this.addSql('alter table consent_event add column verification_ref varchar(255) null;');
    this.addSql(`alter table consent_event add constraint consent_event_verification_check
      check (verification in ('EMAIL_CONFIRMATION', 'UNVERIFIED_SIGNAL'));`);
  }

  override down(): void {
    this.addSql('alter table consent_event drop constraint if exists consent_event_verification_check;');
    this.addSql('alter table consent_event drop column if exists verification_ref;');
    this.addSql('alter table consent_event drop column if exists verified_at;');
    this.addSql('alter table consent_event drop column if exists verification;');
    this.addSql('drop table if exists consent_confirmation;');
    this.addSql('drop table if exists consent_submission;');
  }
}
