import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { AUDIT_WRITER_GRANTS, AuditWriter, enqueueAuditEvent } from '@custos/audit';
import { prepareDatabase } from '@custos/database';
import { rowScope } from '@custos/enforcement';
import { PURPOSES } from '@custos/policy';
import {
  createLogger,
  DatabaseRoleError,
  dropRoles,
  excessPrivileges,
  prepareSharedRole,
  provisionDatabase,
  withDatabase,
} from '@custos/runtime';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { migrations } from '../../apps/subgraph/src/db/migrations/index.js';
import {
  captureLogs,
  postGraphQL,
  refusalOn,
  startTestServer,
  type TestServer,
} from '../../apps/subgraph/test/support/harness.js';
import { columnsOf, expectAuditWriterOnly } from '../../apps/subgraph/test/support/role-privileges.js';
import { type RunningTickets, startTickets, TICKETS_MODEL } from '../../apps/tickets/src/bootstrap.js';
import { TICKET_FROM, ticketSelect } from '../../apps/tickets/src/tickets/ticket.queries.js';
import { ticketsConfig } from './support/config.js';

/**
 * The tickets subgraph runs as a database role of its own (README: database roles). It may use its schema, a
 * view of the contacts' privacy state, and append to the audit trail — nothing else of Custos': no personal
 * column of `contact`, no change to a contact or its consent bits, no consent table. The database, not the
 * code, says no.
 */
let custos: TestServer;
let tickets: RunningTickets;
let role: pg.Client;

/** The PostgreSQL error `statement` fails with as the tickets role (it must fail). */
const refusal = (statement: string) => refusalOn(role, statement);
/** The PostgreSQL error `statement` fails with on `client` (it must fail). */
const refusal2 = (client: pg.Client, statement: string) => refusalOn(client, statement);

const DENIED = { code: '42501', message: expect.stringMatching(/permission denied for (table|view)/) };

beforeAll(async () => {
  custos = await startTestServer({ seedContacts: 40 });
  tickets = await startTickets(ticketsConfig(custos), createLogger('silent'));
  role = new pg.Client({ connectionString: custos.ticketsDatabaseUrl });
  await role.connect();
});
afterAll(async () => {
  await role?.end();
  await tickets?.stop();
  await custos?.close();
});

describe('the tickets role', () => {
  it('is its own: neither the owner nor Custos’ application role', async () => {
    const { rows } = await role.query<{ me: string }>('select current_user as me');
    expect(rows[0]!.me).toBe(custos.roles.tickets);
    expect([custos.roles.owner, custos.roles.app]).not.toContain(rows[0]!.me);
  });

  it('cannot read any column of contact: not email, not health_notes, not even id', async () => {
    const columns = await columnsOf(custos, 'public', 'contact');
    expect(columns).toEqual(expect.arrayContaining(['id', 'email', 'health_notes', 'full_name']));
    for (const column of columns) {
      expect(await refusal(`select ${column} from public.contact limit 1`)).toMatchObject(DENIED);
    }
    expect(await refusal('select * from public.contact')).toMatchObject(DENIED);
  });

  it('cannot change a contact or its consent bits, neither on the table nor through its view', async () => {
    const before = await custos.sql('select * from contact order by id');
    expect(before.length).toBeGreaterThan(0);
    for (const statement of [
      'update public.contact set consent_granted = 0',
      'update public.contact set consent_objected = 32767',
      'update public.contact set restricted = false, limit_sensitive = false',
      `update public.contact set email = 'x@example.com'`,
      'delete from public.contact',
      `insert into public.contact (id) values ('00000000-0000-4000-8000-000000000001')`,
      'truncate public.contact cascade',
      // PostgreSQL writes through a simple view: the view's owner may, the tickets role may not.
      'update tickets.contact_privacy set consent_granted = 0, consent_objected = 0',
      'update tickets.contact_privacy set restricted = false, erased_at = null',
      'delete from tickets.contact_privacy',
      `insert into tickets.contact_privacy (id) values ('00000000-0000-4000-8000-000000000001')`,
    ]) {
      expect(await refusal(statement)).toMatchObject({ code: '42501' });
    }
    expect(await custos.sql('select * from contact order by id')).toEqual(before);
  });

  it('owns nothing and creates nothing: no table, view or function in its schema or Custos’', async () => {
    for (const statement of [
      'create table tickets.stray (id int)',
      'create view tickets.contact_all as select 1 as one',
      'create table public.stray (id int)',
      'create function public.stray() returns int language sql as $$ select 1 $$',
      'drop view tickets.contact_privacy',
      'alter view tickets.contact_privacy rename to contact_gone',
    ]) {
      expect(await refusal(statement)).toMatchObject({
        code: '42501',
        message: expect.stringMatching(/permission denied for schema|must be owner/),
      });
    }
  });

  it('cannot read the consent ledger, its states or evidence, nor any other Custos table', async () => {
    for (const table of [
      'consent_state',
      'consent_event',
      'consent_evidence',
      'privacy_notice',
      'interaction',
    ]) {
      expect(await refusal(`select * from public.${table}`)).toMatchObject(DENIED);
    }
  });

  it('holds in Custos’ schema exactly what the audit writer needs, on every table there is', async () => {
    // Nothing on the outbox of Custos' mutations (audit_pending) nor on the pseudonyms (audit_subject).
    await expectAuditWriterOnly(custos, custos.roles.tickets);
  });

  it('appends subject sets and alerts the way the writer does (twice: on conflict), and reads none of them back', async () => {
    await role.query('begin');
    try {
      for (let i = 0; i < 2; i++) {
        await role.query(
          `insert into audit_subject_set (digest, subjects, created_at) values ($1, array[gen_random_uuid()], now())
           on conflict (digest) do nothing`,
          ['f'.repeat(64)],
        );
        await role.query(
          `insert into audit_alert (id, rule_id, kind, actor_sub, purpose, fired_at, service, details, status)
           values ('00000000-0000-4000-8000-0000000000a1', 'bulk-read', 'DISTINCT_CONTACTS', 'someone', null, now(),
                   'tickets', '{}', 'OPEN')
           on conflict (id) do nothing`,
        );
      }
    } finally {
      await role.query('rollback');
    }
    for (const statement of [
      'select subjects from audit_subject_set',
      'select created_at from audit_subject_set',
      'select actor_sub, details from audit_alert',
      'select * from audit_event',
      'select * from audit_access',
      `update audit_alert set status = 'ACKNOWLEDGED'`,
      'delete from audit_subject',
      'delete from audit_batch',
    ]) {
      expect(await refusal(statement)).toMatchObject({ code: '42501' });
    }
  });

  it('sees through its view exactly the contact columns its row rule and redaction read, with their values', async () => {
    // Every `c.<column>` the tickets subgraph's statements read, for every purpose.
    const read = new Set<string>();
    for (const purpose of PURPOSES) {
      for (const sql of [TICKET_FROM, rowScope(purpose), ticketSelect(purpose)]) {
        for (const match of sql.matchAll(/\bc\.([a-z_]+)/g)) read.add(match[1]!);
      }
    }
    const { rows: viewColumns } = await role.query<{ name: string }>(
      `select column_name as name from information_schema.columns
        where table_schema = 'tickets' and table_name = 'contact_privacy'`,
    );
    expect(new Set(viewColumns.map((row) => row.name))).toEqual(read);
    expect(read).toContain('consent_granted');
    for (const personal of ['email', 'health_notes', 'full_name', 'phone', 'birth_date', 'ip_address'])
      expect(read).not.toContain(personal);

    const columns = [...read].sort().join(', ');
    const { rows: seen } = await role.query(`select ${columns} from tickets.contact_privacy order by id`);
    const truth = await custos.sql(`select ${columns} from contact order by id`);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen).toEqual(truth);
  });

  it('can do what tickets does: serves tickets, and its audit events are stored', async () => {
    const before = await custos.sql<{ n: number }>(
      `select count(*)::int n from audit_event where service = 'tickets'`,
    );
    const res = await postGraphQL<{
      tickets: { totalCount: number; nodes: { id: string; subject: string }[] };
    }>(`${tickets.url}/graphql`, '{ tickets(first: 5) { totalCount nodes { id subject } } }', {
      token: await custos.token(['privacy_officer']),
      purpose: 'compliance',
    });
    expect(res.body.errors).toBeUndefined();
    const [count] = await custos.sql<{ n: number }>('select count(*)::int n from tickets.ticket');
    expect(count!.n).toBeGreaterThan(0);
    expect(res.body.data!.tickets.totalCount).toBe(count!.n);
    expect(res.body.data!.tickets.nodes.every((node) => typeof node.subject === 'string')).toBe(true);
    await tickets.flushAudit();
    const after = await custos.sql<{ n: number }>(
      `select count(*)::int n from audit_event where service = 'tickets'`,
    );
    expect(after[0]!.n).toBeGreaterThan(before[0]!.n);
  });
});

describe('the roles that only append to the audit trail (tickets, gateway)', () => {
  /** The outbox's and the pseudonyms' privileges of `role`, as PostgreSQL answers them. */
  const outboxPrivileges = async (role: string) =>
    (
      await custos.sql<Record<string, boolean>>(
        `select has_table_privilege($1, 'public.audit_pending', 'SELECT') as pending_select,
                has_table_privilege($1, 'public.audit_pending', 'INSERT') as pending_insert,
                has_table_privilege($1, 'public.audit_pending', 'DELETE') as pending_delete,
                has_any_column_privilege($1, 'public.audit_subject', 'SELECT') as subject_select,
                has_any_column_privilege($1, 'public.audit_subject', 'INSERT') as subject_insert,
                has_table_privilege($1, 'public.audit_subject', 'DELETE') as subject_delete`,
        [role],
      )
    )[0];
  const NOTHING = {
    pending_select: false,
    pending_insert: false,
    pending_delete: false,
    subject_select: false,
    subject_insert: false,
    subject_delete: false,
  };
  let gatewayRole: pg.Client;

  beforeAll(async () => {
    // As `npm start` readies the gateway's role: the audit writer's grants, given by the owner.
    await prepareSharedRole(
      { url: custos.gatewayDatabaseUrl, ownerUrl: custos.databaseOwnerUrl },
      AUDIT_WRITER_GRANTS,
      { production: true, logger: createLogger('silent') },
    );
    gatewayRole = new pg.Client({ connectionString: custos.gatewayDatabaseUrl });
    await gatewayRole.connect();
  });
  afterAll(async () => {
    await gatewayRole?.end();
  });

  it('hold nothing on the outbox of Custos’ mutations nor on the pseudonyms; Custos’ own role holds what it drains with', async () => {
    expect(await outboxPrivileges(custos.roles.tickets)).toEqual(NOTHING);
    expect(await outboxPrivileges(custos.roles.gateway)).toEqual(NOTHING);
    // The other side: Custos' application role inserts and drains the outbox, and reads pseudonyms (the officer's
    // queries) and deletes them (erasure); it makes none itself — every writer asks audit_writer.pseudonyms.
    expect(await outboxPrivileges(custos.roles.app)).toEqual({
      pending_select: true,
      pending_insert: true,
      pending_delete: true,
      subject_select: true,
      subject_insert: false,
      subject_delete: true,
    });
  });

  it('cannot read, drain or fill the outbox, nor read or change a pseudonym, while both hold rows', async () => {
    const [contact] = await custos.sql<{ id: string }>('select id from contact order by id limit 1');
    // A pending mutation event naming the contact, and the contact's pseudonym: rows to refuse, not an empty table.
    await enqueueAuditEvent((sql, params) => custos.sql(sql, params), 'custos', {
      occurredAt: new Date(),
      actorSub: 'outbox-fixture',
      actorRoles: ['support_agent'],
      purpose: 'customer_support',
      operationType: 'mutation',
      operationName: 'OutboxFixture',
      rootFields: ['updateContact'],
      requestId: `outbox-fixture-${randomUUID()}`,
      gatewayRequestId: null,
      outcome: 'OK',
      subjects: new Map([[contact!.id, { channel: 'MUTATION', revealed: 0, redacted: 0 }]]),
    });
    await custos.sql(
      `insert into audit_subject (contact_id, pseudonym, created_at) values ($1, gen_random_uuid(), now())
       on conflict do nothing`,
      [contact!.id],
    );
    const [subjects] = await custos.sql<{ n: number }>('select count(*)::int as n from audit_subject');
    expect(subjects!.n).toBeGreaterThan(0);
    for (const [name, client] of [
      ['tickets', role],
      ['gateway', gatewayRole],
    ] as const) {
      for (const statement of [
        'select * from audit_pending',
        'select id, event from audit_pending',
        'delete from audit_pending',
        `insert into audit_pending (id, created_at, service, event) values (gen_random_uuid(), now(), 'forged', '{}')`,
        'select * from audit_subject',
        'select contact_id from audit_subject',
        `select pseudonym from audit_subject where contact_id = '${contact!.id}'`,
        'delete from audit_subject',
        `insert into audit_subject (contact_id, pseudonym, created_at) values (gen_random_uuid(), gen_random_uuid(), now())`,
      ]) {
        expect({ name, statement, refused: await refusal2(client, statement) }).toEqual({
          name,
          statement,
          refused: { code: '42501', message: expect.stringMatching(/permission denied for table/) },
        });
      }
    }
    // Custos' writer drains it.
    await custos.flushAudit();
    expect(await custos.sql('select id from audit_pending')).toEqual([]);
  });

  it('get the pseudonyms of the contacts they name, and only those, through the owner’s function', async () => {
    const contacts = await custos.sql<{ id: string }>('select id from contact order by id limit 3');
    expect(contacts).toHaveLength(3);
    const [known, fresh] = [contacts[0]!.id, contacts[2]!.id];
    await custos.sql(
      `insert into audit_subject (contact_id, pseudonym, created_at) values ($1, gen_random_uuid(), now())
       on conflict do nothing`,
      [known],
    );
    await custos.sql('delete from audit_subject where contact_id = $1', [fresh]);
    const truth = async (ids: string[]) =>
      custos.sql<{ contact_id: string; pseudonym: string }>(
        'select contact_id, pseudonym from audit_subject where contact_id = any($1::uuid[]) order by contact_id',
        [ids],
      );
    for (const client of [role, gatewayRole]) {
      const { rows } = await client.query<{ contact_id: string; pseudonym: string }>(
        'select contact_id, pseudonym from audit_writer.pseudonyms($1::uuid[]) order by contact_id',
        [[known, fresh]],
      );
      // The known contact's pseudonym as stored, the new one's made once and stored, nobody else's.
      expect(rows).toEqual(await truth([known, fresh]));
      expect(rows.map((row) => row.contact_id)).toEqual([known, fresh].sort());
    }
  });

  it('refuses the function to a role that may not write the trail', async () => {
    const adminUrl = inject('adminUrl');
    const name = `custos_stranger_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    try {
      await admin.query(`create role ${name} login password 'stranger-secret'`);
      const url = new URL(custos.databaseUrl);
      url.username = name;
      url.password = 'stranger-secret';
      const stranger = new pg.Client({ connectionString: url.toString() });
      await stranger.connect();
      try {
        const before = await custos.sql<{ n: number }>('select count(*)::int as n from audit_subject');
        expect(
          await refusal2(stranger, `select * from audit_writer.pseudonyms(array['${randomUUID()}']::uuid[])`),
        ).toEqual({ code: '42501', message: 'permission denied for function pseudonyms' });
        expect(await custos.sql('select count(*)::int as n from audit_subject')).toEqual(before);
      } finally {
        await stranger.end();
      }
    } finally {
      await admin.query(`drop role if exists ${name}`);
      await admin.end();
    }
  });

  it('write events naming contacts without draining the outbox; a writer that tried to drain would be refused', async () => {
    const [contact] = await custos.sql<{ id: string }>('select id from contact order by id desc limit 1');
    const requestId = `tickets-writer-${randomUUID()}`;
    const event = {
      occurredAt: new Date(),
      actorSub: 'tickets-writer',
      actorRoles: ['support_agent'],
      purpose: 'customer_support',
      operationType: 'query' as const,
      operationName: 'TicketsWriter',
      rootFields: ['tickets'],
      requestId,
      gatewayRequestId: null,
      outcome: 'OK' as const,
      subjects: new Map([[contact!.id, { channel: 'QUERY' as const, revealed: 0, redacted: 0 }]]),
    };
    const writer = new AuditWriter({
      url: custos.ticketsDatabaseUrl,
      service: 'tickets',
      logger: createLogger('silent'),
      drainsOutbox: false,
    });
    try {
      expect(writer.submit(event)).toBeUndefined();
      await writer.flush();
    } finally {
      await writer.close();
    }
    const named = await custos.sql<{ contact_id: string }>(
      `select s.contact_id from audit_event e join audit_access a on a.event_id = e.id
         left join audit_subject_set t on t.digest = a.subject_set
         cross join unnest(coalesce(a.subjects, t.subjects)) u(p) join audit_subject s on s.pseudonym = u.p
        where e.request_id = $1 and e.service = 'tickets'`,
      [requestId],
    );
    expect(named).toEqual([{ contact_id: contact!.id }]);

    // The other side: the same writer told to drain the outbox fails on it, as the role may not read it.
    const drainer = new AuditWriter({
      url: custos.ticketsDatabaseUrl,
      service: 'tickets',
      logger: createLogger('silent'),
    });
    try {
      await expect(drainer.flush()).rejects.toMatchObject({ code: '42501' });
    } finally {
      await drainer.close().catch(() => {});
    }
  });

  it('lose on upgrade what the older grants gave them on the outbox and the pseudonyms, and start in production', async () => {
    // An installation upgraded from before: both roles hold the older audit writer grants.
    for (const name of [custos.roles.tickets, custos.roles.gateway]) {
      await custos.sql(`grant select, insert, delete on audit_pending to "${name}"`);
      await custos.sql(`grant select, insert on audit_subject to "${name}"`);
    }
    expect(await excessPrivileges(custos.gatewayDatabaseUrl, AUDIT_WRITER_GRANTS)).toEqual([
      'audit_subject: SELECT, INSERT',
      'audit_pending: SELECT, INSERT, DELETE',
    ]);
    // What the migration runs, once, as the owner.
    const entry = migrations.find((m) => m.name === 'Migration20261211000000AuditPseudonyms')!;
    const migration = new entry.class(undefined as never, undefined as never);
    await migration.up();
    const revoke = migration.getQueries().filter((q) => String(q).includes('revoke all'));
    expect(revoke).toHaveLength(1);
    const owner = new pg.Client({ connectionString: custos.databaseOwnerUrl });
    await owner.connect();
    try {
      await owner.query(String(revoke[0]));
    } finally {
      await owner.end();
    }
    expect(await outboxPrivileges(custos.roles.tickets)).toEqual(NOTHING);
    expect(await outboxPrivileges(custos.roles.gateway)).toEqual(NOTHING);
    expect(await outboxPrivileges(custos.roles.app)).toMatchObject({
      pending_delete: true,
      subject_select: true,
    });
    expect(await excessPrivileges(custos.gatewayDatabaseUrl, AUDIT_WRITER_GRANTS)).toEqual([]);
    await prepareSharedRole(
      { url: custos.gatewayDatabaseUrl, ownerUrl: custos.databaseOwnerUrl },
      AUDIT_WRITER_GRANTS,
      { production: true, logger: createLogger('silent') },
    );
  });
});

describe('starting tickets on a role that could read contact', () => {
  const production = () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    return {
      NODE_ENV: 'production',
      AUTH_JWKS_URL: `${custos.baseUrl}/.well-known/jwks.json`,
      AUTH_ISSUER: 'https://issuer.example',
      AUTH_AUDIENCE: 'custos',
      AUDIT_SIGNING_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      // Production seals cursors only with configured keys.
      CURSOR_KEYS: `tickets:${randomBytes(32).toString('base64url')}`,
      AUDIT_HMAC_KEY: 'h'.repeat(32),
      SEED_CONTACTS: '0',
    };
  };

  it('refuses in production with Custos’ application role, naming contact and no URL', async () => {
    const config = ticketsConfig(custos, { ...production(), DATABASE_URL: custos.databaseUrl });
    const refused = await startTickets(config, createLogger('silent')).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(DatabaseRoleError);
    expect((refused as Error).message).toMatch(/contact: SELECT/);
    expect((refused as Error).message).not.toMatch(/postgres(ql)?:\/\//);
  });

  it('starts in production on its own role', async () => {
    const started = await startTickets(ticketsConfig(custos, production()), createLogger('silent'));
    try {
      expect((await fetch(`${started.url}/readyz`)).status).toBe(200);
    } finally {
      await started.stop();
    }
  });

  it('refuses in production a tickets role granted a single column of contact', async () => {
    await custos.sql(`grant select (email) on public.contact to "${custos.roles.tickets}"`);
    try {
      const refused = await startTickets(ticketsConfig(custos, production()), createLogger('silent')).catch(
        (error: unknown) => error,
      );
      expect(refused).toBeInstanceOf(DatabaseRoleError);
      expect((refused as Error).message).toMatch(/contact: SELECT/);
    } finally {
      await custos.sql(`revoke select (email) on public.contact from "${custos.roles.tickets}"`);
    }
    expect(await refusal('select email from public.contact')).toMatchObject(DENIED);
  });

  it('warns elsewhere, and leaves Custos’ application role every privilege it had', async () => {
    const grantsOf = () =>
      custos.sql<{ table: string; privilege: string }>(
        `select table_name as table, privilege_type as privilege from information_schema.role_table_grants
          where grantee = $1 and table_schema = 'public' order by 1, 2`,
        [custos.roles.app],
      );
    const before = await grantsOf();
    expect(before).toContainEqual({ table: 'contact', privilege: 'SELECT' });
    const warned = captureLogs();
    await prepareDatabase(
      { url: custos.databaseUrl, ownerUrl: custos.databaseOwnerUrl },
      { model: TICKETS_MODEL, production: false, logger: warned.logger },
    );
    expect(warned.lines.join('')).toMatch(/a role of its own/);
    expect(await grantsOf()).toEqual(before);
    const res = await custos.gql<{ contacts: { totalCount: number } }>(
      '{ contacts(first: 1) { totalCount } }',
    );
    expect(res.body.data?.contacts.totalCount).toBeGreaterThan(0);
  });
});

describe('provisioning the tickets role (embedded default)', () => {
  it('takes back what an older tickets subgraph left the application role in schema tickets', async () => {
    const adminUrl = inject('adminUrl');
    const name = `custos_t_${randomBytes(6).toString('hex')}`;
    const roles = { owner: `${name}_owner`, app: `${name}_app`, tickets: `${name}_tickets` };
    const passwords = { owner: 'o-secret', app: 'a-secret', tickets: 't-secret' };
    try {
      // Before: two roles, and the tickets schema served as the application role.
      const before = await provisionDatabase(
        adminUrl,
        name,
        { owner: roles.owner, app: roles.app },
        passwords,
      );
      expect(before.ticketsUrl).toBeUndefined();
      const owner = new pg.Client({ connectionString: before.ownerUrl });
      await owner.connect();
      await owner.query('create schema tickets');
      await owner.query('create table tickets.ticket (id uuid primary key, subject text)');
      await owner.query(`grant usage on schema tickets to "${roles.app}"`);
      await owner.query(`grant select, insert, update, delete on tickets.ticket to "${roles.app}"`);
      await owner.end();
      const held = async () => {
        const admin = new pg.Client({ connectionString: withDatabase(adminUrl, name) });
        await admin.connect();
        try {
          const { rows } = await admin.query<{ usage: boolean; select: boolean; tickets: boolean }>(
            `select has_schema_privilege($1, 'tickets', 'USAGE') as usage,
                    has_table_privilege($1, 'tickets.ticket', 'SELECT') as select,
                    exists (select 1 from pg_roles where rolname = $2) as tickets`,
            [roles.app, roles.tickets],
          );
          return rows[0];
        } finally {
          await admin.end();
        }
      };
      expect(await held()).toEqual({ usage: true, select: true, tickets: false });
      const after = await provisionDatabase(adminUrl, name, roles, passwords);
      expect(after.ticketsUrl).toMatch(new RegExp(`//${roles.tickets}:`));
      expect(await held()).toEqual({ usage: false, select: false, tickets: true });
    } finally {
      const admin = new pg.Client({ connectionString: adminUrl });
      await admin.connect();
      await admin.query(`drop database if exists "${name}" with (force)`);
      await admin.end();
      await dropRoles(adminUrl, roles);
    }
  });
});
