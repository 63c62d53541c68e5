import { Migration } from '@mikro-orm/migrations';

/**
 * Subject sets: the pseudonyms an access names are stored once per distinct set (content-addressed by their
 * SHA-256) and referenced by digest, instead of inline on every access. A page of 500 contacts read again and again
 * is one row, not 500 pseudonyms (and 500 index entries) per request; the event digest covers the set's digest,
 * and verification recomputes each set's digest from its content. Accesses written before keep their inline
 * `subjects` (still indexed, still verified).
 */
export class Migration20261124020000AuditSubjectSets extends Migration {
  override name = 'Migration20261124020000AuditSubjectSets';

  override up(): void {
    this.addSql(`
      create table audit_subject_set (
        digest char(64) not null,
        subjects uuid[] not null,
        created_at timestamptz(3) not null,
        constraint audit_subject_set_pkey primary key (digest)
      );`);
    this.addSql('create index audit_subject_set_subjects_idx on audit_subject_set using gin (subjects);');
    this.addSql('alter table audit_access alter column subjects drop not null;');
    this.addSql('alter table audit_access add column subject_set char(64) null;');
    this.addSql(`alter table audit_access add constraint audit_access_subject_set_foreign foreign key (subject_set)
      references audit_subject_set (digest) on update no action on delete no action;`);
    this.addSql('create index audit_access_subject_set_idx on audit_access (subject_set);');
    this.addSql(`alter table audit_access add constraint audit_access_subjects_check
      check ((subjects is null) <> (subject_set is null));`);
  }

  override down(): void {
    this.addSql('alter table audit_access drop constraint if exists audit_access_subjects_check;');
    this.addSql('alter table audit_access drop column if exists subject_set;');
    this.addSql('drop table if exists audit_subject_set;');
  }
}
