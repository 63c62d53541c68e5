import type { EntityManager } from '@mikro-orm/postgresql';
import { ValidationError } from '../shared/errors.js';
import {
  type Connection,
  type CursorKey,
  decodeCursor,
  isUuid,
  pageSize,
  toConnection,
} from '../shared/pagination.js';
import { isoTimestamp, likePattern, Params, query, rowsByIds } from '../shared/sql.js';
import { Validator } from '../shared/validate.js';

/** The read model of a contact: a plain row, as the resolvers see it. */
export interface ContactRow {
  readonly id: string;
  readonly fullName: string;
  readonly email: string;
  readonly phone: string | null;
  readonly birthDate: string | null;
  readonly addressStreet: string | null;
  readonly addressCity: string | null;
  readonly addressPostalCode: string | null;
  readonly addressCountry: string | null;
  readonly ipAddress: string | null;
  readonly healthNotes: string | null;
  readonly companyId: string | null;
  readonly restricted: boolean;
  /** ISO 8601, UTC, milliseconds. */
  readonly createdAt: string;
  readonly updatedAt: string;
}

export type ContactColumn = keyof ContactRow;

/** How each property of the read model is selected. */
const COLUMN_SQL: Readonly<Record<ContactColumn, string>> = {
  id: 'c.id',
  fullName: 'c.full_name as "fullName"',
  email: 'c.email',
  phone: 'c.phone',
  birthDate: 'c.birth_date::text as "birthDate"',
  addressStreet: 'c.address_street as "addressStreet"',
  addressCity: 'c.address_city as "addressCity"',
  addressPostalCode: 'c.address_postal_code as "addressPostalCode"',
  addressCountry: 'c.address_country as "addressCountry"',
  ipAddress: 'c.ip_address as "ipAddress"',
  healthNotes: 'c.health_notes as "healthNotes"',
  companyId: 'c.company_id as "companyId"',
  restricted: 'c.restricted',
  createdAt: isoTimestamp('c.created_at', 'createdAt'),
  updatedAt: isoTimestamp('c.updated_at', 'updatedAt'),
};

/** The select list for some properties; the id and the sort key (the cursor) are always read. */
export function contactColumns(columns: Iterable<ContactColumn>): string {
  const wanted = new Set<ContactColumn>(['id', 'createdAt', ...columns]);
  return (Object.keys(COLUMN_SQL) as ContactColumn[])
    .filter((column) => wanted.has(column))
    .map((column) => COLUMN_SQL[column])
    .join(', ');
}

export const CONTACT_COLUMNS = contactColumns(Object.keys(COLUMN_SQL) as ContactColumn[]);

export interface ContactFilter {
  readonly search?: string | null;
  readonly country?: string | null;
  readonly companyId?: string | null;
  readonly createdAfter?: Date | null;
  readonly createdBefore?: Date | null;
}

/** Newest first; the id breaks ties so that the order, and so the cursor, is total. */
const ORDER = 'order by c.created_at desc, c.id desc';
export const contactCursor = (row: ContactRow): CursorKey => [row.createdAt, row.id];

function filterWhere(filter: ContactFilter | null | undefined, params: Params): string[] {
  if (!filter) return [];
  const v = new Validator();
  const where: string[] = [];
  const search = v.text('filter.search', filter.search, { max: 200 });
  if (search) {
    const pattern = params.add(likePattern(search));
    where.push(`(c.full_name ilike ${pattern} or c.email ilike ${pattern})`);
  }
  const country = v.country('filter.country', filter.country);
  if (country) where.push(`c.address_country = ${params.add(country)}`);
  if (filter.companyId !== undefined && filter.companyId !== null) {
    if (!isUuid(filter.companyId)) v.fail('filter.companyId', 'id', 'must be a company id');
    else where.push(`c.company_id = ${params.add(filter.companyId)}`);
  }
  if (filter.createdAfter) where.push(`c.created_at >= ${params.add(filter.createdAfter)}`);
  if (filter.createdBefore) where.push(`c.created_at < ${params.add(filter.createdBefore)}`);
  if (filter.createdAfter && filter.createdBefore && filter.createdAfter >= filter.createdBefore) {
    v.fail('filter.createdBefore', 'range', 'must be later than filter.createdAfter');
  }
  v.done();
  return where;
}

export function findContactsByIds(em: EntityManager, ids: readonly string[]): Promise<ContactRow[]> {
  return rowsByIds<ContactRow>(
    em,
    `select ${CONTACT_COLUMNS} from contact c where c.id = any($1::uuid[])`,
    ids,
  );
}

export async function listContacts(
  em: EntityManager,
  args: { first?: number | null; after?: string | null; filter?: ContactFilter | null },
  /** The properties the query reads; every one when not given. */
  columns?: Iterable<ContactColumn>,
): Promise<Connection<ContactRow>> {
  const size = pageSize('first', args.first);
  const after = decodeCursor('after', args.after);
  const params = new Params();
  const where = filterWhere(args.filter, params);
  const countWhere = [...where];
  const countValues = [...params.values];
  if (after) {
    const createdAt = new Date(after[0]);
    if (Number.isNaN(createdAt.getTime())) {
      throw new ValidationError([
        { field: 'after', rule: 'cursor', message: 'is not a cursor this API issued' },
      ]);
    }
    where.push(`(c.created_at, c.id) < (${params.add(createdAt)}, ${params.add(after[1])})`);
  }
  const whereSql = where.length ? `where ${where.join(' and ')}` : '';
  const rows =
    size === 0
      ? []
      : await query<ContactRow>(
          em,
          `select ${columns ? contactColumns(columns) : CONTACT_COLUMNS} from contact c ${whereSql} ${ORDER}
           limit ${params.add(size + 1)}`,
          params.values,
        );
  return toConnection(rows, size, Boolean(after), contactCursor, async () => {
    const countSql = `select count(*)::int as n from contact c ${countWhere.length ? `where ${countWhere.join(' and ')}` : ''}`;
    const [row] = await query<{ n: number }>(em, countSql, countValues);
    return row?.n ?? 0;
  });
}
