import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { prepareDatabase, rolePasswords } from '@custos/database';
import { DatabaseRoleError, dropRoles, GrantsError, provisionDatabase, withDatabase } from '@custos/runtime';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CUSTOS_GRANTS } from '../src/db/grants.js';
import { CUSTOS_MODEL } from '../src/db/model.js';
import { captureLogs, refusalOn, startTestServer, type TestServer } from './support/harness.js';

/**
 * Separate owner and application roles: the database, not only the code, keeps the ledgers append-only for
 * the role every request runs as.
 */
let server: TestServer;
let app: pg.Client;
let eventId: string;

/** The PostgreSQL error a statement fails with, as the application role. */
const refusal = (statement: string) => refusalOn(app, statement);

beforeAll(async () => {
  server = await startTestServer({ seedContacts: 5 });
  const [contact] = await server.sql<{ id: string }>('select id from contact order by id limit 1');
  const token = await server.token(['support_agent']);
  const recorded = await server.gql<{ recordConsent: { id: string } }>(
    `mutation { recordConsent(input: { contactId: "${contact!.id}", purpose: "marketing", status: GRANTED,
       method: WEB_FORM, noticeVersion: "2026-01", evidence: { source: "test form" } }) { id } }`,
    { token },
  );
  eventId = recorded.body.data!.recordConsent.id;
  app = new pg.Client({ connectionString: server.databaseUrl });
  await app.connect();
});
afterAll(async () => {
  await app?.end();
  await server?.close();
});

describe('the application role', () => {
  it('is not the owner, and holds exactly the declared privileges', async () => {
    const { rows } = await app.query<{ me: string; owner: string }>(
      `select current_user as me, pg_get_userbyid(relowner) as owner from pg_class where relname = 'consent_event'`,
    );
    expect(rows[0]!.me).not.toBe(rows[0]!.owner);
    const { rows: privileges } = await app.query<{ table: string; privilege: string }>(
      `select table_name as table, privilege_type as privilege from information_schema.role_table_grants
        where grantee = current_user and table_schema = 'public' order by 1, 2`,
    );
    const held: Record<string, string[]> = {};
    for (const { table, privilege } of privileges) held[table] = [...(held[table] ?? []), privilege];
    const declared = Object.fromEntries(
      Object.entries(CUSTOS_GRANTS.tables).map(([table, list]) => [table, [...list].sort()]),
    );
    expect(held).toEqual(declared);
  });

  it('cannot UPDATE, DELETE or TRUNCATE the consent ledger: permission denied, before any trigger runs', async () => {
    for (const statement of [
      `update consent_event set status = 'DENIED' where id = '${eventId}'`,
      `delete from consent_event where id = '${eventId}'`,
      'truncate consent_event cascade',
      `update consent_evidence set source = 'forged' where event_id = '${eventId}'`,
      `update privacy_notice set text = 'forged'`,
    ]) {
      expect(await refusal(statement)).toMatchObject({
        code: '42501',
        message: /permission denied for table/,
      });
    }
    const [event] = await server.sql<{ status: string }>('select status from consent_event where id = $1', [
      eventId,
    ]);
    expect(event!.status).toBe('GRANTED');
  });

  it('cannot drop or disable the triggers that guard the ledger, nor change the schema', async () => {
    for (const statement of [
      'alter table consent_event disable trigger consent_event_no_update',
      'drop trigger consent_event_no_update on consent_event',
      'drop table consent_event cascade',
    ]) {
      expect(await refusal(statement)).toMatchObject({ code: '42501', message: /must be owner/ });
    }
    expect(await refusal('create table stray (id int)')).toMatchObject({
      code: '42501',
      message: /permission denied for schema public/,
    });
  });

  it('can append to the ledger and delete evidence (erasure), which is all it needs there', async () => {
    await app.query('begin');
    try {
      await app.query('delete from consent_evidence where event_id = $1', [eventId]);
      const { rowCount } = await app.query('select 1 from consent_evidence where event_id = $1', [eventId]);
      expect(rowCount).toBe(0);
    } finally {
      await app.query('rollback');
    }
  });
});

describe('preparing the database', () => {
  const logger = () => captureLogs();

  it('refuses a table whose privileges nobody declared, naming it', async () => {
    await server.sql(`create table public.undeclared_table (id int)`);
    await server.sql(`alter table public.undeclared_table owner to "${server.roles.owner}"`);
    try {
      const database = { url: server.databaseUrl, ownerUrl: server.databaseOwnerUrl };
      const error = await prepareDatabase(database, {
        model: CUSTOS_MODEL,
        production: false,
        ...logger(),
      }).catch((e) => e);
      expect(error).toBeInstanceOf(GrantsError);
      expect((error as Error).message).toMatch(/no privileges declared for: undeclared_table/);
    } finally {
      await server.sql('drop table public.undeclared_table');
    }
  });

  it('one role for both refuses to start in production and warns elsewhere', async () => {
    const single = { url: server.databaseOwnerUrl, ownerUrl: server.databaseOwnerUrl };
    const refused = await prepareDatabase(single, {
      model: CUSTOS_MODEL,
      production: true,
      ...logger(),
    }).catch((e) => e);
    expect(refused).toBeInstanceOf(DatabaseRoleError);
    expect((refused as Error).message).toMatch(/DATABASE_OWNER_URL/);
    expect((refused as Error).message).not.toMatch(/postgres(ql)?:\/\//);

    const warned = logger();
    await prepareDatabase(single, { model: CUSTOS_MODEL, production: false, logger: warned.logger });
    expect(warned.lines.join('')).toMatch(/not append-only/);
  });

  it('provisioning adopts what another role created before (an older single-role database)', async () => {
    const adminUrl = inject('adminUrl');
    const name = `custos_t_${randomBytes(6).toString('hex')}`;
    const roles = { owner: `${name}_owner`, app: `${name}_app` };
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`create database "${name}"`);
    const old = new pg.Client({ connectionString: withDatabase(adminUrl, name) });
    await old.connect();
    await old.query('create table contact (id uuid primary key, note text)');
    await old.end();
    try {
      const passwords = { owner: 'o-secret', app: 'a-secret' };
      const urls = await provisionDatabase(adminUrl, name, roles, passwords);
      // Twice is harmless (every start provisions).
      await provisionDatabase(adminUrl, name, roles, passwords);
      const owner = new pg.Client({ connectionString: urls.ownerUrl });
      await owner.connect();
      const { rows } = await owner.query<{ table: string; db: string; schema: string }>(
        `select pg_get_userbyid(c.relowner) as table,
                (select pg_get_userbyid(datdba) from pg_database where datname = current_database()) as db,
                (select pg_get_userbyid(nspowner) from pg_namespace where nspname = 'public') as schema
           from pg_class c where c.relname = 'contact'`,
      );
      await owner.end();
      expect(rows[0]).toEqual({ table: roles.owner, db: roles.owner, schema: roles.owner });
    } finally {
      await admin.query(`drop database if exists "${name}" with (force)`);
      await admin.end();
      await dropRoles(adminUrl, roles);
    }
  });
});

describe('the embedded roles’ passwords', () => {
  it('keep the owner’s and application role’s from an older data directory, and add one each for the tickets and gateway roles', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'custos-roles-'));
    try {
      const file = path.join(dir, 'pg-roles.json');
      await writeFile(file, `${JSON.stringify({ owner: 'old-owner', app: 'old-app' })}\n`, { mode: 0o600 });
      const passwords = await rolePasswords(dir);
      expect(passwords).toMatchObject({ owner: 'old-owner', app: 'old-app' });
      expect(passwords.tickets).toMatch(/^[A-Za-z0-9_-]{32}$/);
      expect(passwords.gateway).toMatch(/^[A-Za-z0-9_-]{32}$/);
      expect(passwords.gateway).not.toBe(passwords.tickets);
      expect(Object.keys(passwords).sort()).toEqual(['app', 'gateway', 'owner', 'tickets']);
      expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(passwords);
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      // Stable from then on; a data directory from before the gateway role keeps the tickets role's.
      expect(await rolePasswords(dir)).toEqual(passwords);
      const { gateway: _added, ...older } = passwords;
      await writeFile(file, `${JSON.stringify(older)}\n`, { mode: 0o600 });
      const again = await rolePasswords(dir);
      expect(again).toMatchObject(older);
      expect(again.gateway).toMatch(/^[A-Za-z0-9_-]{32}$/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
