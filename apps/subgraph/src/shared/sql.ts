import type { EntityManager } from '@mikro-orm/postgresql';
import { CompiledQuery } from 'kysely';

/**
 * Reads go through parameterised SQL on the request's forked EntityManager (so they join its transaction
 * when there is one) and map rows to plain objects: no entity hydration on list paths, which is where the
 * time goes (DESIGN.md, "Facts about the stack").
 *
 * Values travel as bind parameters to PostgreSQL (`$1`…), never spliced into the SQL text: MikroORM's
 * own `execute()` formats values into the string client-side, which we avoid for every query we write.
 */
export async function query<T extends object>(
  em: EntityManager,
  sql: string,
  params: unknown[] = [],
  /** Columns that hold timestamps: MikroORM has pg return them as text; they become Dates here. */
  dates: readonly string[] = [],
): Promise<T[]> {
  const connection = em.getConnection();
  await connection.ensureConnection();
  const executor =
    em.getTransactionContext<ReturnType<typeof connection.getClient>>() ?? connection.getClient();
  notify(sql);
  try {
    const result = await executor.executeQuery<Record<string, unknown>>(CompiledQuery.raw(sql, params));
    if (dates.length > 0) {
      for (const row of result.rows) for (const key of dates) row[key] = toDate(row[key]);
    }
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

/** PostgreSQL's text form of a timestamptz (`2024-01-20 08:00:04.456+00`, any session time zone) as a Date. */
export function toDate(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value;
  const text = String(value);
  const iso = text
    .replace(' ', 'T')
    .replace(/([+-]\d{2})$/, '$1:00')
    .replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) throw new Error('unparseable timestamp from the database');
  return date;
}
