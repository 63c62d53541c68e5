import {
  isoTimestamp,
  likePattern,
  limitRows,
  Params,
  query,
  rowsByIds,
  type SqlSession,
} from '@custos/database';
import { rowScope, visibleExpression } from '@custos/enforcement';
import type { PersonalField, Purpose } from '@custos/policy';
import {
  type Connection,
  type CursorKey,
  decodeTimeCursor,
  isUuid,
  pageSize,
  toConnection,
  Validator,
} from '@custos/runtime';

/**
 * The read model of a contact: a plain row, as the resolvers see it. Personal properties are present only
 * when the caller's purpose may see them, and null on rows whose state hides them (the database nulls them).
 */
export interface ContactRow {
  readonly id: string;
  readonly fullName?: string | null;
  readonly email?: string | null;
  readonly emailMasked?: string | null;
  readonly phone?: string | null;
  readonly phoneLast4?: string | null;
  readonly birthDate?: string | null;
  readonly birthYear?: number | null;
  readonly addressStreet?: string | null;
  readonly addressCity?: string | null;
  readonly addressPostalCode?: string | null;
  readonly addressCountry?: string | null;
  readonly country?: string | null;
  readonly ipAddress?: string | null;
  readonly healthNotes?: string | null;
  readonly companyId?: string | null;
  /** Processing restricted (Art 18): not personal, always read; it drives field decisions. */
  readonly restricted: boolean;
  /** "Limit the use of my sensitive personal information" (CCPA): always read, drives field decisions. */
  readonly limitSensitive: boolean;
  /** ISO 8601, UTC, milliseconds. */
  readonly createdAt: string;
  readonly updatedAt?: string;
}

export type ContactColumn = Exclude<keyof ContactRow, 'id' | 'restricted' | 'limitSensitive' | 'createdAt'>;

interface ColumnSpec {
  readonly sql: string;
  /** The policy field the property serves: its visibility decides whether and how it is read. */
  readonly field?: PersonalField;
}

/**
 * Each property as a SQL expression. Derived fields are computed in SQL from their source column, so that a
 * purpose that may see only the derived form never has the source value read into memory.
 */
const COLUMNS: Readonly<Record<ContactColumn, ColumnSpec>> = {
  fullName: { sql: 'c.full_name', field: 'Contact.fullName' },
  email: { sql: 'c.email', field: 'Contact.email' },
  emailMasked: {
    // Only a local part and a domain make a masked form (an emptied tombstone's email has neither).
    sql: `case when position('@' in c.email) > 1 then left(c.email, 1) || '***' || substring(c.email from position('@' in c.email)) end`,
    field: 'Contact.emailMasked',
  },
  phone: { sql: 'c.phone', field: 'Contact.phone' },
  phoneLast4: { sql: 'right(c.phone, 4)', field: 'Contact.phoneLast4' },
  birthDate: { sql: 'c.birth_date::text', field: 'Contact.birthDate' },
  birthYear: { sql: 'extract(year from c.birth_date)::int', field: 'Contact.birthYear' },
  addressStreet: { sql: 'c.address_street', field: 'Contact.address' },
  addressCity: { sql: 'c.address_city', field: 'Contact.address' },
  addressPostalCode: { sql: 'c.address_postal_code', field: 'Contact.address' },
  addressCountry: { sql: 'c.address_country', field: 'Contact.address' },
  country: { sql: 'c.address_country', field: 'Contact.country' },
  ipAddress: { sql: 'c.ip_address', field: 'Contact.ipAddress' },
  healthNotes: { sql: 'c.health_notes', field: 'Contact.healthNotes' },
  companyId: { sql: 'c.company_id', field: 'Contact.company' },
  updatedAt: { sql: '' },
};

export const ALL_CONTACT_COLUMNS = Object.keys(COLUMNS) as ContactColumn[];

/** The select list for a purpose and the properties a query reads (every property when not given). */
export function contactSelect(
  purpose: Purpose,
  columns: Iterable<ContactColumn> = ALL_CONTACT_COLUMNS,
): string {
  const wanted = [...new Set(columns)].sort();
  const key = `${purpose}:${wanted.join(',')}`;
  let select = selects.get(key);
  if (select === undefined) {
    select = buildSelect(purpose, wanted);
    // Bounded: purposes × the subsets of properties a query can ask for.
    if (selects.size < 10_000) selects.set(key, select);
  }
  return select;
}

const selects = new Map<string, string>();

function buildSelect(purpose: Purpose, columns: readonly ContactColumn[]): string {
  const list = [
    'c.id',
    'c.restricted',
    'c.limit_sensitive as "limitSensitive"',
    isoTimestamp('c.created_at', 'createdAt'),
  ];
  for (const column of columns) {
    if (column === 'updatedAt') {
      list.push(isoTimestamp('c.updated_at', 'updatedAt'));
      continue;
    }
    const spec = COLUMNS[column];
    const expression = spec.field ? visibleExpression(purpose, spec.field, spec.sql) : spec.sql;
    if (expression) list.push(`${expression} as "${column}"`);
  }
  return list.join(', ');
}

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

/**
 * Filters may only look at what the purpose may read (no oracle): a filter on a field is applied to the
 * field's visible expression (null where the row's state hides it, so it cannot match), and refused when
 * the purpose never sees the field.
 */
function filterWhere(purpose: Purpose, filter: ContactFilter | null | undefined, params: Params): string[] {
  if (!filter) return [];
  const v = new Validator();
  const where: string[] = [];
  const refuse = (field: string) =>
    v.fail(
      field,
      'purpose',
      `is not available for purpose ${purpose}: it filters on data the purpose may not read`,
    );
  const search = v.text('filter.search', filter.search, { max: 200 });
  if (search) {
    const targets = [
      visibleExpression(purpose, 'Contact.fullName', 'c.full_name'),
      visibleExpression(purpose, 'Contact.email', 'c.email'),
    ].filter((e): e is string => e !== undefined);
    if (targets.length === 0) refuse('filter.search');
    else {
      const pattern = params.add(likePattern(search));
      where.push(`(${targets.map((t) => `${t} ilike ${pattern}`).join(' or ')})`);
    }
  }
  const country = v.country('filter.country', filter.country);
  if (country) {
    const target = visibleExpression(purpose, 'Contact.country', 'c.address_country');
    if (!target) refuse('filter.country');
    else where.push(`${target} = ${params.add(country)}`);
  }
  if (filter.companyId !== undefined && filter.companyId !== null) {
    // Who works where is personal data (Contact.company): filtered like the field is shown.
    const target = visibleExpression(purpose, 'Contact.company', 'c.company_id');
    if (!isUuid(filter.companyId)) v.fail('filter.companyId', 'id', 'must be a company id');
    else if (!target) refuse('filter.companyId');
    else where.push(`${target} = ${params.add(filter.companyId)}`);
  }
  if (filter.createdAfter) where.push(`c.created_at >= ${params.add(filter.createdAfter)}`);
  if (filter.createdBefore) where.push(`c.created_at < ${params.add(filter.createdBefore)}`);
  if (filter.createdAfter && filter.createdBefore && filter.createdAfter >= filter.createdBefore) {
    v.fail('filter.createdBefore', 'range', 'must be later than filter.createdAfter');
  }
  v.done();
  return where;
}

/** Contacts by id, within the purpose's row rule: an id outside it answers like one that does not exist. */
export function findContactsByIds(
  em: SqlSession,
  purpose: Purpose,
  ids: readonly string[],
): Promise<ContactRow[]> {
  return rowsByIds<ContactRow>(
    em,
    `select ${contactSelect(purpose)} from contact c where c.id = any($1::uuid[]) and ${rowScope(purpose)}`,
    ids,
  );
}

export async function listContacts(
  em: SqlSession,
  purpose: Purpose,
  args: { first?: number | null; after?: string | null; filter?: ContactFilter | null },
  /** The properties the query reads; every one when not given. */
  columns?: Iterable<ContactColumn>,
): Promise<Connection<ContactRow>> {
  const size = pageSize('first', args.first);
  const after = decodeTimeCursor('after', args.after);
  const params = new Params();
  const filters = filterWhere(purpose, args.filter, params);
  const where = [rowScope(purpose), ...filters];
  const countWhere = [...where];
  const countValues = [...params.values];
  // A filter's value decides the best plan (a search pattern above all): filtered lists are planned at every
  // run. The purpose's list itself, first page or next, has one good plan whatever its values (QueryOptions).
  const prepare = filters.length === 0;
  if (after) where.push(`(c.created_at, c.id) < (${params.add(after[0])}, ${params.add(after[1])})`);
  const rows =
    size === 0
      ? []
      : await query<ContactRow>(
          em,
          `select ${contactSelect(purpose, columns)} from contact c where ${where.join(' and ')} ${ORDER}
           ${limitRows(size + 1)}`,
          params.values,
          { prepare },
        );
  return toConnection(rows, size, Boolean(after), contactCursor, async () => {
    const [row] = await query<{ n: number }>(
      em,
      `select count(*)::int as n from contact c where ${countWhere.join(' and ')}`,
      countValues,
      { prepare },
    );
    return row?.n ?? 0;
  });
}
