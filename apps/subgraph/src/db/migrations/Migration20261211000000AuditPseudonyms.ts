import { Migration } from '@mikro-orm/migrations';

/**
 * Least privilege for the services that only append to the audit trail (the tickets subgraph, the gateway:
 * AUDIT_WRITER_GRANTS in packages/audit). They used to hold SELECT on `audit_subject` — the map of every audited
 * contact id to its pseudonym, the one link from the trail to a person — because a writer must learn the pseudonym
 * of each contact its events name. They now ask this function instead, for the ids they name only; only Custos'
 * application role reads the table (the privacy officer's queries, erasure). (They also lost every privilege on
 * `audit_pending`, the outbox of Custos' mutations: only Custos' writer moves it, and that needs no migration.)
 *
 * `audit_writer.pseudonyms(ids)`: each given contact id's pseudonym, made (a random UUID) the first time it is asked for,
 * exactly as the writer did with its own INSERT … ON CONFLICT DO NOTHING and SELECT — two statements, so that an id
 * another writer has just pseudonymised is read back, not made twice. It runs as its owner (SECURITY DEFINER, with a
 * fixed search_path and qualified names, so that a caller's objects cannot stand in for the owner's). The services'
 * role names are chosen at run time, after the migrations: so EXECUTE stays granted to PUBLIC, and the function
 * itself admits only a caller that may append to the chain (INSERT on `audit_batch`: the audit writers, Custos'
 * application role among them) and refuses any other role as PostgreSQL would (insufficient_privilege). It lives
 * in a schema of its own, `audit_writer` (what an audit writer may call), outside `public`: the entities describe
 * `public` exactly (MikroORM's schema diff, apps/subgraph/test/schema.test.ts, would drop a routine it does not
 * declare there), and a function is no table, so no service's table grants reach it.
 *
 * An installation upgraded from an older Custos: its tickets and gateway roles still hold what the older grants
 * gave them on both tables. Such a role would now hold more than it declares, and a service never strips a role
 * that holds more (it could be Custos' own, in a quick local setup): in production the tickets subgraph and the
 * gateway would refuse to start. So the owner takes those privileges back here, once, from every role that holds
 * one on either table and cannot read `contact` — a service that only writes the trail; Custos' application role
 * reads `contact` and keeps what it has.
 */
export class Migration20261211000000AuditPseudonyms extends Migration {
  override name = 'Migration20261211000000AuditPseudonyms';

  override up(): void {
    this.addSql('create schema audit_writer;');
    this.addSql('grant usage on schema audit_writer to public;');
    this.addSql(`
      create function audit_writer.pseudonyms(contact_ids uuid[])
        returns table (contact_id uuid, pseudonym uuid)
        language plpgsql volatile security definer
        set search_path = pg_catalog, pg_temp
      as $$
      #variable_conflict use_column
      begin
        if not has_table_privilege(session_user, 'public.audit_batch', 'INSERT') then
          raise exception 'permission denied for function pseudonyms' using errcode = 'insufficient_privilege';
        end if;
        insert into public.audit_subject (contact_id, pseudonym, created_at)
          select d.c, gen_random_uuid(), now()
            from (select distinct u.c from unnest(contact_ids) as u(c) where u.c is not null) as d
          on conflict on constraint audit_subject_pkey do nothing;
        return query
          select s.contact_id, s.pseudonym from public.audit_subject s where s.contact_id = any(contact_ids);
      end;
      $$;`);
    this.addSql('grant execute on function audit_writer.pseudonyms(uuid[]) to public;');
    this.addSql(`
      do $$
      declare
        role_name name;
      begin
        for role_name in
          select distinct pg_get_userbyid(a.grantee)
            from pg_class c cross join lateral aclexplode(c.relacl) a
           where c.oid in ('public.audit_pending'::regclass, 'public.audit_subject'::regclass)
             and a.grantee <> 0 and a.grantee <> c.relowner
             and not has_any_column_privilege(a.grantee, 'public.contact'::regclass, 'SELECT')
        loop
          execute format('revoke all on public.audit_pending, public.audit_subject from %I', role_name);
        end loop;
      end;
      $$;`);
  }

  override down(): void {
    this.addSql('drop function if exists audit_writer.pseudonyms(uuid[]);');
    this.addSql('drop schema if exists audit_writer;');
  }
}
