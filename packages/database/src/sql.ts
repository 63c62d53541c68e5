import { isUuid } from '@custos/runtime';
import type { EntityManager } from '@mikro-orm/postgresql';
import { CompiledQuery } from 'kysely';

/** What `query` needs of an EntityManager: its connection, and its transaction when it is in one. */
export type SqlSession = Pick<EntityManager, 'getConnection' | 'getTransactionContext'>;

/**
 * Reads go through parameterised SQL on the request's forked EntityManager (so they join its transaction
 * when there is one) and map rows to plain objects: no entity hydration on list paths, which is where the
 * time goes (DESIGN.md, "Facts about the stack").
 *
 * Values travel as bind parameters to PostgreSQL (`$1`…), never spliced into the SQL text: MikroORM's
 * own `execute()` formats values into the string client-side, which we avoid for every query we write.
 */
export async function query<T extends object>(
  em: SqlSession,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const connection = em.getConnection();
  await connection.ensureConnection();
  const executor =
    em.getTransactionContext<ReturnType<typeof connection.getClient>>() ?? connection.getClient();
  notify(sql);
  try {
    const result = await executor.executeQuery<T>(CompiledQuery.raw(sql, params));
    return result.rows as T[];
  } catch (error) {
    // The same typed exceptions as MikroORM's (UniqueConstraintViolationException, …).
    throw connection
      .getPlatform()
      .getExceptionConverter()
      .convertException(error as Error);
  }
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
