import { Migration } from '@mikro-orm/migrations';

/**
 * The CRM core: companies, contacts and the interactions logged on them.
 *
 * - Timestamps are `timestamptz(3)`: the application writes them with millisecond precision, which keeps
 *   keyset cursors (created_at, id) exact.
 * - Email uniqueness is case-insensitive (`lower(email)`), so `Ann@x.org` and `ann@x.org` are one person.
 * - The trigram indexes serve the name/email search filter (`ILIKE '%…%'`); pg_trgm is a trusted extension,
 *   so a database owner without superuser may create it.
 */
export class Migration20261122000000Initial extends Migration {
  override name = 'Migration20261122000000Initial';

  override up(): void {
    this.addSql('create extension if not exists pg_trgm;');

    this.addSql(`
      create table company (
        id uuid primary key,
        name varchar(200) not null,
        domain varchar(253) null,
        industry varchar(100) null,
        country char(2) null,
        created_at timestamptz(3) not null,
        updated_at timestamptz(3) not null
      );`);
    this.addSql('create index company_name_id_idx on company (name, id);');

    this.addSql(`
      create table contact (
        id uuid primary key,
        full_name varchar(200) not null,
        email varchar(254) not null,
        phone varchar(16) null,
        birth_date date null,
        address_street varchar(200) null,
        address_city varchar(100) null,
        address_postal_code varchar(20) null,
        address_country char(2) null,
        ip_address varchar(45) null,
        health_notes varchar(2000) null,
        company_id uuid null,
        restricted boolean not null default false,
        created_at timestamptz(3) not null,
        updated_at timestamptz(3) not null
      );`);
    this.addSql('create unique index contact_email_lower_unique on contact (lower(email));');
    this.addSql('create index contact_created_at_id_idx on contact (created_at, id);');
    this.addSql(
      'create index contact_country_created_at_id_idx on contact (address_country, created_at, id);',
    );
    this.addSql('create index contact_company_created_at_id_idx on contact (company_id, created_at, id);');
    this.addSql('create index contact_full_name_trgm_idx on contact using gin (full_name gin_trgm_ops);');
    this.addSql('create index contact_email_trgm_idx on contact using gin (email gin_trgm_ops);');

    this.addSql(`
      create table interaction (
        id uuid primary key,
        contact_id uuid not null,
        type varchar(16) not null check (type in ('CALL', 'EMAIL', 'MEETING', 'NOTE')),
        subject varchar(200) not null,
        body varchar(10000) null,
        occurred_at timestamptz(3) not null,
        logged_by varchar(200) not null,
        created_at timestamptz(3) not null,
        updated_at timestamptz(3) not null
      );`);
    this.addSql(
      'create index interaction_contact_occurred_id_idx on interaction (contact_id, occurred_at, id);',
    );

    // Foreign keys named as MikroORM names them, so that the entities and the migrations describe one schema.
    this.addSql(`alter table contact add constraint contact_company_id_foreign foreign key (company_id)
      references company (id) on update cascade on delete set null;`);
    this.addSql(`alter table interaction add constraint interaction_contact_id_foreign foreign key (contact_id)
      references contact (id) on update cascade on delete cascade;`);
  }

  override down(): void {
    this.addSql('drop table if exists interaction;');
    this.addSql('drop table if exists contact;');
    this.addSql('drop table if exists company;');
  }
}
