import { expect } from 'vitest';
import type { TestServer } from './harness.js';

/**
 * What a service that only appends to the audit trail does in Custos' schema (@custos/audit's writer.ts, store.ts,
 * alerts.ts): read the chain's head and the rules; append batches, events, accesses, subject sets, alerts (`on
 * conflict do nothing` reads the conflict target: SELECT of that column alone). Nothing on the pseudonyms (it gets
 * those of the contacts it names from the owner's function audit_writer.pseudonyms) nor on the outbox of Custos'
 * mutations (only Custos' writer drains it). Written out here, apart from the grants under test
 * (AUDIT_WRITER_GRANTS), for every role that only writes the trail (the tickets role in Custos' schema, the gateway
 * role).
 */
export const AUDIT_WRITER_NEEDS: Readonly<Record<string, readonly string[]>> = {
  audit_batch: ['SELECT', 'INSERT'],
  audit_event: ['INSERT'],
  audit_access: ['INSERT'],
  audit_subject_set: ['SELECT (digest)', 'INSERT'],
  audit_subject: [],
  audit_rule: ['SELECT'],
  audit_alert: ['SELECT (id)', 'INSERT'],
  audit_anchor: ['SELECT'],
  audit_chain: ['SELECT'],
  // The outbox of Custos' mutations: Custos' own role inserts and drains it, no other.
  audit_pending: [],
};

const PRIVILEGES = ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE'] as const;

/** Every table, view and materialised view of `schema`, as the database lists them. */
async function tablesOf(server: TestServer, schema: string): Promise<string[]> {
  const rows = await server.sql<{ name: string }>(
    `select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = $1 and c.relkind in ('r', 'p', 'v', 'm') order by 1`,
    [schema],
  );
  return rows.map((row) => row.name);
}

/** The columns of `schema.table`, in order, as the database lists them. */
export async function columnsOf(server: TestServer, schema: string, table: string): Promise<string[]> {
  const rows = await server.sql<{ name: string }>(
    `select column_name as name from information_schema.columns
      where table_schema = $1 and table_name = $2 order by ordinal_position`,
    [schema, table],
  );
  return rows.map((row) => row.name);
}

/**
 * What `role` holds on each of `tables` of schema `public`, as PostgreSQL answers it: table privileges, and for a
 * privilege held only on some columns, `PRIV (col, …)` (a role that may read one column may read that column).
 */
async function heldPrivileges(
  server: TestServer,
  role: string,
  tables: readonly string[],
): Promise<Record<string, string[]>> {
  const held: Record<string, string[]> = {};
  for (const table of tables) {
    held[table] = [];
    for (const privilege of PRIVILEGES) {
      const [row] = await server.sql<{ yes: boolean }>('select has_table_privilege($1, $2, $3) as yes', [
        role,
        `public.${table}`,
        privilege,
      ]);
      if (row!.yes) {
        held[table].push(privilege);
        continue;
      }
      if (privilege === 'DELETE' || privilege === 'TRUNCATE') continue;
      const columns = await server.sql<{ name: string }>(
        `select attname as name from pg_attribute
          where attrelid = $2::regclass and attnum > 0 and not attisdropped
            and has_column_privilege($1, $2::regclass, attname, $3) order by attnum`,
        [role, `public.${table}`, privilege],
      );
      if (columns.length > 0) held[table].push(`${privilege} (${columns.map((c) => c.name).join(', ')})`);
    }
    held[table].sort();
  }
  return held;
}

/** The sequences of schema `public` that `role` may use (none, for a role that only writes the audit trail). */
async function usableSequences(
  server: TestServer,
  role: string,
): Promise<{ all: string[]; usable: string[] }> {
  const rows = await server.sql<{ name: string; usable: boolean }>(
    `select c.relname as name, has_sequence_privilege($1, c.oid, 'USAGE, SELECT, UPDATE') as usable
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind = 'S'`,
    [role],
  );
  return { all: rows.map((r) => r.name), usable: rows.filter((r) => r.usable).map((r) => r.name) };
}

/**
 * Asserts that `role` holds in schema `public` exactly {@link AUDIT_WRITER_NEEDS} on each table the database has
 * (the audit tables among them, and `contact` with nothing), nothing on any other table, and no sequence (it
 * inserts nothing that draws from one; Custos' migration ledger has one).
 */
export async function expectAuditWriterOnly(server: TestServer, role: string): Promise<void> {
  const tables = await tablesOf(server, 'public');
  expect(tables).toEqual(
    expect.arrayContaining(['contact', 'consent_state', ...Object.keys(AUDIT_WRITER_NEEDS)]),
  );
  const expected = Object.fromEntries(
    tables.map((table) => [table, [...(AUDIT_WRITER_NEEDS[table] ?? [])].sort()]),
  );
  expect(await heldPrivileges(server, role, tables)).toEqual(expected);
  const sequences = await usableSequences(server, role);
  expect(sequences.all.length).toBeGreaterThan(0);
  expect(sequences.usable).toEqual([]);
}
