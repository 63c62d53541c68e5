import { DatabaseRoleError } from '@custos/runtime';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refusalOn } from '../../apps/subgraph/test/support/harness.js';
import { columnsOf, expectAuditWriterOnly } from '../../apps/subgraph/test/support/role-privileges.js';
import { type Federation, productionAuditEnv, startFederation } from './support/federation.js';

/**
 * The gateway writes the requests it refuses into the audit trail as a database role of its own (README:
 * database roles), which may do that and nothing else: no column of `contact`, no consent table, nothing of the
 * tickets subgraph's schema. In production it needs that role, and refuses one that could read more. The database,
 * not the code, says no.
 */
let federation: Federation;
let role: pg.Client;

const DENIED = { code: '42501', message: expect.stringMatching(/permission denied for (table|view|schema)/) };
/** The PostgreSQL error `statement` fails with as the gateway role (it must fail). */
const refusal = (statement: string) => refusalOn(role, statement);

beforeAll(async () => {
  federation = await startFederation({ seedContacts: 3, tickets: true });
  // As docker-compose.yml runs it: its own role, granted by the owner at its start.
  await federation.startGateway({
    DATABASE_URL: federation.custos.gatewayDatabaseUrl,
    DATABASE_OWNER_URL: federation.custos.databaseOwnerUrl,
    CUSTOS_DATA_DIR: federation.custos.dataDir,
  });
  role = new pg.Client({ connectionString: federation.custos.gatewayDatabaseUrl });
  await role.connect();
});
afterAll(async () => {
  await role?.end();
  await federation?.close();
});

describe('the gateway role', () => {
  it('is its own: neither the owner, nor Custos’ application role, nor the tickets role', async () => {
    const { rows } = await role.query<{ me: string }>('select current_user as me');
    const { roles } = federation.custos;
    expect(rows[0]!.me).toBe(roles.gateway);
    expect([roles.owner, roles.app, roles.tickets]).not.toContain(rows[0]!.me);
  });

  it('cannot select any column of contact, one by one or all at once', async () => {
    const columns = await columnsOf(federation.custos, 'public', 'contact');
    expect(columns).toEqual(expect.arrayContaining(['id', 'email', 'health_notes', 'full_name']));
    for (const column of columns) {
      expect(await refusal(`select ${column} from public.contact limit 1`)).toMatchObject(DENIED);
    }
    expect(await refusal('select * from public.contact')).toMatchObject(DENIED);
    expect(await refusal('select count(*) from public.contact')).toMatchObject(DENIED);
  });

  it('cannot read the consent tables, interactions, companies, nor anything of the tickets schema', async () => {
    const consent = ['consent_state', 'consent_event', 'consent_evidence', 'privacy_notice'];
    for (const table of [...consent, 'interaction', 'company', 'contact_duplicate']) {
      expect(await refusal(`select * from public.${table}`)).toMatchObject(DENIED);
    }
    const tickets = await federation.custos.sql<{ name: string }>(
      `select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'tickets' and c.relkind in ('r', 'p', 'v', 'm') order by 1`,
    );
    expect(tickets.map((t) => t.name)).toEqual(expect.arrayContaining(['ticket', 'contact_privacy']));
    for (const { name } of tickets) {
      expect(await refusal(`select * from tickets.${name}`)).toMatchObject(DENIED);
    }
    const [usage] = await federation.custos.sql<{ yes: boolean }>(
      `select has_schema_privilege($1, 'tickets', 'USAGE') as yes`,
      [federation.custos.roles.gateway],
    );
    expect(usage!.yes).toBe(false);
  });

  it('holds in Custos’ schema exactly what the audit writer needs, on every table there is', async () => {
    await expectAuditWriterOnly(federation.custos, federation.custos.roles.gateway);
  });

  it('cannot change a contact, nor create, drop or rewrite anything', async () => {
    for (const statement of [
      'update public.contact set consent_granted = 0',
      'delete from public.contact',
      `update audit_event set outcome = 'OK'`,
      'delete from audit_event',
      'delete from audit_batch',
      'truncate audit_event',
      'create table public.stray (id int)',
      'create schema stray',
    ]) {
      expect(await refusal(statement)).toMatchObject({ code: '42501' });
    }
  });
});

describe('starting the gateway in production', () => {
  // Without the owner's URL: each test names the role the gateway runs as.
  const production = () => {
    const {
      DATABASE_URL: _role,
      DATABASE_OWNER_URL: _owner,
      ...audit
    } = productionAuditEnv(federation.custos);
    return {
      NODE_ENV: 'production',
      AUTH_JWKS_URL: `${federation.custos.baseUrl}/.well-known/jwks.json`,
      AUTH_ISSUER: 'https://issuer.example',
      AUTH_AUDIENCE: 'custos',
      ...audit,
    };
  };
  const refusedOn = (env: Record<string, string>) =>
    federation.startGateway({ ...production(), ...env }).then(
      () => {
        throw new Error('the gateway started');
      },
      (error: unknown) => error,
    );

  it('refuses Custos’ application role, naming contact and no URL', async () => {
    const refused = await refusedOn({ DATABASE_URL: federation.custos.databaseUrl });
    expect(refused).toBeInstanceOf(DatabaseRoleError);
    expect((refused as Error).message).toMatch(/contact: SELECT/);
    expect((refused as Error).message).not.toMatch(/postgres(ql)?:\/\//);
    expect((refused as Error).message).not.toContain(new URL(federation.custos.databaseUrl).password);
  });

  it('refuses the owner role, and the tickets role (which sees a view of contact)', async () => {
    for (const url of [federation.custos.databaseOwnerUrl, federation.custos.ticketsDatabaseUrl]) {
      const refused = await refusedOn({ DATABASE_URL: url });
      expect(refused).toBeInstanceOf(DatabaseRoleError);
      expect((refused as Error).message).not.toMatch(/postgres(ql)?:\/\//);
    }
  });

  it('refuses a gateway role granted a single column of contact', async () => {
    const { gateway } = federation.custos.roles;
    await federation.custos.sql(`grant select (email) on public.contact to "${gateway}"`);
    try {
      const refused = await refusedOn({ DATABASE_URL: federation.custos.gatewayDatabaseUrl });
      expect(refused).toBeInstanceOf(DatabaseRoleError);
      expect((refused as Error).message).toMatch(/contact: SELECT/);
    } finally {
      await federation.custos.sql(`revoke select (email) on public.contact from "${gateway}"`);
    }
    expect(await refusal('select email from public.contact')).toMatchObject(DENIED);
  });

  it('refuses a gateway role granted anything of the tickets schema, or a sequence', async () => {
    const { gateway } = federation.custos.roles;
    const [sequence] = await federation.custos.sql<{ name: string }>(
      `select format('%I.%I', n.nspname, c.relname) as name from pg_class c
         join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public' and c.relkind = 'S' limit 1`,
    );
    expect(sequence).toBeDefined();
    for (const [grant, revoke, named] of [
      [
        `grant usage on schema tickets to "${gateway}"; grant select on tickets.ticket to "${gateway}"`,
        `revoke select on tickets.ticket from "${gateway}"; revoke usage on schema tickets from "${gateway}"`,
        'tickets.ticket: any',
      ],
      [
        `grant usage on sequence ${sequence!.name} to "${gateway}"`,
        `revoke usage on sequence ${sequence!.name} from "${gateway}"`,
        `${sequence!.name}: any`,
      ],
    ] as const) {
      await federation.custos.sql(grant);
      try {
        const refused = await refusedOn({ DATABASE_URL: federation.custos.gatewayDatabaseUrl });
        expect(refused).toBeInstanceOf(DatabaseRoleError);
        expect((refused as Error).message).toContain(named);
      } finally {
        await federation.custos.sql(revoke);
      }
    }
  });

  it('refuses its own role while that lacks a privilege the audit writer needs, naming it', async () => {
    const { gateway } = federation.custos.roles;
    await federation.custos.sql(`revoke insert on audit_event from "${gateway}"`);
    try {
      const refused = await refusedOn({ DATABASE_URL: federation.custos.gatewayDatabaseUrl });
      expect(refused).toBeInstanceOf(DatabaseRoleError);
      expect((refused as Error).message).toContain('audit_event: INSERT');
      expect((refused as Error).message).not.toMatch(/postgres(ql)?:\/\//);
    } finally {
      await federation.custos.sql(`grant insert on audit_event to "${gateway}"`);
    }
  });

  it('starts on its own role, without the owner’s URL, and audits its refusals there', async () => {
    const gateway = await federation.startGateway({
      ...production(),
      DATABASE_URL: federation.custos.gatewayDatabaseUrl,
    });
    expect((await fetch(`${gateway.url}/readyz`)).status).toBe(200);
    const before = await federation.custos.sql<{ n: number }>(
      `select coalesce(sum(refusals), 0)::int as n from audit_event
        where service = 'gateway' and outcome = 'UNAUTHENTICATED' and refusal_reason = 'TOKEN_MISSING'`,
    );
    expect((await gateway.gql('{ __typename }', { token: null })).status).toBe(401);
    await gateway.flushAudit();
    const after = await federation.custos.sql<{ n: number }>(
      `select coalesce(sum(refusals), 0)::int as n from audit_event
        where service = 'gateway' and outcome = 'UNAUTHENTICATED' and refusal_reason = 'TOKEN_MISSING'`,
    );
    expect(after[0]!.n).toBe(before[0]!.n + 1);
  });
});
