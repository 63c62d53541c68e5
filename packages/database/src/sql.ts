import { isUuid, MAX_PAGE } from '@custos/runtime';
import type { EntityManager } from '@mikro-orm/postgresql';
import { CompiledQuery } from 'kysely';

/** What `query` needs of an EntityManager: its connection, and its transaction when it is in one. */
export type SqlSession = Pick<EntityManager, 'getConnection' | 'getTransactionContext'>;

export interface QueryOptions {
  /**
   * `false`: send the statement unnamed, so that PostgreSQL plans it for its values at every run. For a statement
   * whose best plan depends on a value the client chooses — a search pattern, a filter on a column whose values
   * are unevenly spread — where a generic plan, once PostgreSQL settles on one, could be far worse for other
   * values (measured on the bench's 100k contacts: a sales search for 'smith' took 18.8 ms on the generic plan
   * against 1.6 ms on its own, and five two-letter searches on a connection were enough to settle on it).
   */
  readonly prepare?: boolean;
}

/**
 * Reads go through parameterised SQL on the request's forked EntityManager (so they join its transaction
 * when there is one) and map rows to plain objects: no entity hydration on list paths, which is where the
 * time goes (DESIGN.md, "Facts about the stack").
 *
 * Values travel as bind parameters to PostgreSQL (`$1`…), never spliced into the SQL text: MikroORM's
 * own `execute()` formats values into the string client-side, which we avoid for every query we write. The
 * only literals a text may hold are the code's own constants and validated bounded integers (`limit`), so the
 * distinct texts of a process are few: that is what makes naming them safe (`statementName`).
 *
 * Outside a transaction a statement is sent as a named prepared statement on a pooled connection of the
 * EntityManager's own `pg` pool: PostgreSQL parses and analyses it once per connection (and plans it once, when
 * its generic plan is as good as a custom one), `pg` remembers it per connection and sends only Bind/Execute
 * afterwards (issue 16: PostgreSQL parsed, analysed and planned every unnamed read again, on the same cores as
 * the server). That pool is the one kysely's driver acquires from for MikroORM, through
 * the same `connect()`/`release()`; nothing is lost by not going through kysely here: Custos sets no
 * `onReserveConnection`/`onCreateConnection` hook, no session context (`sessionContext` stays `transaction`)
 * and no kysely plugin. A connection is released without an error, as kysely does: an SQL error keeps the
 * connection (and its prepared statements); a broken connection is dropped by the pool itself.
 *
 * Inside a transaction the statement stays on the transaction's connection through kysely, unnamed: the
 * transaction's `pg` client is private to kysely's connection object. Queries read outside any transaction (a
 * request forks no EntityManager to read); mutations and jobs write inside theirs.
 */
export async function query<T extends object>(
  em: SqlSession,
  sql: string,
  params: unknown[] = [],
  options: QueryOptions = {},
): Promise<T[]> {
  const connection = em.getConnection();
  await connection.ensureConnection();
  const transaction = em.getTransactionContext<ReturnType<typeof connection.getClient>>();
  notify(sql);
  try {
    if (transaction) return (await transaction.executeQuery<T>(CompiledQuery.raw(sql, params))).rows as T[];
    const name = options.prepare === false ? undefined : statementName(sql);
    const client = await (await connection.getNativeClient()).connect();
    try {
      return (await client.query({ name, text: sql, values: params })).rows as T[];
    } finally {
      client.release();
    }
  } catch (error) {
    // The same typed exceptions as MikroORM's (UniqueConstraintViolationException, …).
    throw connection
      .getPlatform()
      .getExceptionConverter()
      .convertException(error as Error);
  }
}

/**
 * At most this many distinct texts get a name in a process; any further text is sent unnamed, as before. It
 * bounds the name map here, and what each PostgreSQL connection of the pool keeps prepared (a connection
 * prepares only the texts it runs).
 */
export const MAX_NAMED_STATEMENTS = 2_000;

const statementNames = new Map<string, string>();

/**
 * The prepared statement name of a SQL text: one name per text for the life of the process (`pg` refuses a
 * name reused for another text on a connection), `undefined` past MAX_NAMED_STATEMENTS texts. Never name a
 * text that carries a client's value: each value would make a text, and a name, of its own.
 */
export function statementName(sql: string): string | undefined {
  let name = statementNames.get(sql);
  if (name === undefined && statementNames.size < MAX_NAMED_STATEMENTS) {
    name = `custos_${statementNames.size + 1}`;
    statementNames.set(sql, name);
  }
  return name;
}

/**
 * `limit n` for a page of `rows` rows (a validated page size + 1, at most MAX_PAGE + 1), as a literal rather than
 * a parameter: with `limit $n` a prepared statement's generic plan assumes an unknown limit (a tenth of the rows),
 * costs far above any custom plan, so PostgreSQL replans the statement at every run. With the literal, the
 * unfiltered contacts lists of every purpose at 50 and 500 get a generic plan identical to their custom one
 * (backward index scan on created_at, no sort: checked with EXPLAIN on the bench's 100k contacts), planned
 * once per connection. One text per page size asked for, at most MAX_PAGE + 1: the texts stay few.
 */
export function limitRows(rows: number): string {
  if (!Number.isInteger(rows) || rows < 0 || rows > MAX_PAGE + 1) {
    throw new RangeError(`limit must be a whole number from 0 to ${MAX_PAGE + 1}`);
  }
  return `limit ${rows}`;
}

type SqlListener = (sql: string) => void;
const listeners = new Set<SqlListener>();

/** Observes every statement this process runs (ours and MikroORM's); the tests count statements with it. */
export function onSql(listener: SqlListener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function notify(sql: string): void {
  for (const listener of listeners) listener(sql);
}

/**
 * Rows by primary key for a batch: `select` must filter with `= any($1::uuid[])`. Ids that are not UUIDs
 * cannot exist, so they are dropped before the database sees them (and never cause a cast error).
 */
export async function rowsByIds<T extends object>(em: SqlSession, select: string, ids: readonly string[]) {
  const valid = ids.filter(isUuid);
  return valid.length === 0 ? [] : query<T>(em, select, [valid]);
}

/** Collects positional parameters while a statement is built: `p.add(v)` returns `$n`. */
export class Params {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/** Escapes LIKE wildcards so that a search string matches literally. */
export function likePattern(search: string): string {
  return `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * A timestamptz column as an ISO 8601 UTC string with milliseconds (`2024-01-20T08:00:04.456Z`), formatted by
 * PostgreSQL whatever the session time zone: exactly what the DateTime scalar and the cursors serve, so list
 * paths never parse or format a date in JavaScript.
 */
export function isoTimestamp(column: string, alias: string): string {
  return `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "${alias}"`;
}
