import { Migration } from '@mikro-orm/migrations';

/**
 * The tickets service's own schema in the shared database. No foreign key to `public.contact`: the requester
 * is a federation reference, and every read checks it against Custos' row rule in the same statement.
 */
export class Migration20261123010000Tickets extends Migration {
  override name = 'Migration20261123010000Tickets';

  override up(): void {
    this.addSql('create schema if not exists tickets;');
    this.addSql(`
      create table tickets.ticket (
        id uuid not null,
        requester_id uuid not null,
        subject varchar(200) not null,
        description varchar(10000) null,
        status varchar(16) not null check (status in ('OPEN', 'PENDING', 'SOLVED', 'CLOSED')),
        priority varchar(16) not null check (priority in ('LOW', 'NORMAL', 'HIGH', 'URGENT')),
        created_at timestamptz(3) not null,
        updated_at timestamptz(3) not null,
        solved_at timestamptz(3) null,
        constraint ticket_pkey primary key (id)
      );`);
    this.addSql(
      'create index ticket_requester_created_at_id_idx on tickets.ticket (requester_id, created_at, id);',
    );
    this.addSql('create index ticket_created_at_id_idx on tickets.ticket (created_at, id);');
  }

  override down(): void {
    this.addSql('drop table if exists tickets.ticket;');
  }
}
