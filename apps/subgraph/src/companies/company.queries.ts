import {
  isoTimestamp,
  likePattern,
  limitRows,
  Params,
  query,
  rowsByIds,
  type SqlSession,
} from '@custos/database';
import { type Connection, decodeCursor, pageSize, toConnection, Validator } from '@custos/runtime';
import type { EntityManager } from '@mikro-orm/postgresql';

export interface CompanyRow {
  readonly id: string;
  readonly name: string;
  readonly domain: string | null;
  readonly industry: string | null;
  readonly country: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export const COMPANY_COLUMNS = `co.id, co.name, co.domain, co.industry, co.country,
  ${isoTimestamp('co.created_at', 'createdAt')}, ${isoTimestamp('co.updated_at', 'updatedAt')}`;

export function findCompaniesByIds(em: SqlSession, ids: readonly string[]): Promise<CompanyRow[]> {
  return rowsByIds<CompanyRow>(
    em,
    `select ${COMPANY_COLUMNS} from company co where co.id = any($1::uuid[])`,
    ids,
  );
}

/** Companies by name (A→Z); the cursor is `[name, id]` — a company name is not personal data. */
export async function listCompanies(
  em: EntityManager,
  args: { first?: number | null; after?: string | null; search?: string | null },
): Promise<Connection<CompanyRow>> {
  const size = pageSize('first', args.first);
  const after = decodeCursor('after', args.after);
  const v = new Validator();
  const search = v.text('search', args.search, { max: 200 });
  v.done();
  const params = new Params();
  const where: string[] = [];
  if (search) where.push(`co.name ilike ${params.add(likePattern(search))}`);
  const countWhere = [...where];
  const countValues = [...params.values];
  if (after) where.push(`(co.name, co.id) > (${params.add(after[0])}, ${params.add(after[1])})`);
  const whereSql = where.length ? `where ${where.join(' and ')}` : '';
  const rows =
    size === 0
      ? []
      : await query<CompanyRow>(
          em,
          `select ${COMPANY_COLUMNS} from company co ${whereSql} order by co.name, co.id ${limitRows(size + 1)}`,
          params.values,
          // A search pattern decides the best plan: planned at every run (QueryOptions).
          { prepare: !search },
        );
  return toConnection(
    rows,
    size,
    Boolean(after),
    (row) => [row.name, row.id],
    async () => {
      const [row] = await query<{ n: number }>(
        em,
        `select count(*)::int as n from company co ${countWhere.length ? `where ${countWhere.join(' and ')}` : ''}`,
        countValues,
        { prepare: !search },
      );
      return row?.n ?? 0;
    },
  );
}
