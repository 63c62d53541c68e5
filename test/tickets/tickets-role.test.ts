import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { prepareDatabase } from '@custos/database';
import { rowScope } from '@custos/enforcement';
import { PURPOSES } from '@custos/policy';
import { createLogger, DatabaseRoleError, dropRoles, provisionDatabase, withDatabase } from '@custos/runtime';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
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
