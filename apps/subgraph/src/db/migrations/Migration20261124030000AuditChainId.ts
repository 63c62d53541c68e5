import { Migration } from '@mikro-orm/migrations';

/**
 * The audit chain's identity: a random id made once per database. Checkpoints carry it, so that checkpoints of
 * another database (a test's, a reseeded development database's) sharing a checkpoint directory are never mistaken
 * for this chain's.
 */
export class Migration20261124030000AuditChainId extends Migration {
  override name = 'Migration20261124030000AuditChainId';

  override up(): void {
    this.addSql(`
      create table audit_chain (
        id uuid not null,
        created_at timestamptz(3) not null,
        constraint audit_chain_pkey primary key (id)
      );`);
    this.addSql('insert into audit_chain (id, created_at) values (gen_random_uuid(), now());');
  }

  override down(): void {
    this.addSql('drop table if exists audit_chain;');
  }
}
