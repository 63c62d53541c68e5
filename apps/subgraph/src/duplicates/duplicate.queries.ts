import { isoTimestamp, limitRows, Params, query, rowsByIds } from '@custos/database';
import { type Connection, decodeTimeCursor, pageSize, toConnection } from '@custos/runtime';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { DuplicateResolution } from './duplicate.entity.js';

export interface DuplicateRow {
  readonly id: string;
  readonly contactId: string;
  readonly existingContactId: string;
  readonly detectedForPurpose: string;
  readonly detectedAt: string;
  readonly resolution: DuplicateResolution | null;
  readonly resolvedAt: string | null;
}

export const DUPLICATE_STATUSES = ['OPEN', 'RESOLVED', 'ALL'] as const;
export type DuplicateStatus = (typeof DUPLICATE_STATUSES)[number];

const COLUMNS = `d.id, d.contact_id as "contactId", d.existing_contact_id as "existingContactId",
  d.detected_for_purpose as "detectedForPurpose", ${isoTimestamp('d.detected_at', 'detectedAt')},
  d.resolution, ${isoTimestamp('d.resolved_at', 'resolvedAt')}`;

const STATUS_WHERE: Record<DuplicateStatus, string | null> = {
  OPEN: 'd.resolved_at is null',
  RESOLVED: 'd.resolved_at is not null',
  ALL: null,
};

export function findDuplicatesByIds(em: EntityManager, ids: readonly string[]): Promise<DuplicateRow[]> {
  return rowsByIds<DuplicateRow>(
    em,
    `select ${COLUMNS} from contact_duplicate d where d.id = any($1::uuid[])`,
    ids,
  );
}

/** The review queue, oldest first: the order a privacy officer works it in. */
export async function listDuplicates(
  em: EntityManager,
  args: { first?: number | null; after?: string | null; status: DuplicateStatus },
): Promise<Connection<DuplicateRow>> {
  const size = pageSize('first', args.first);
  const after = decodeTimeCursor('after', args.after);
  const params = new Params();
  const where: string[] = [];
  const status = STATUS_WHERE[args.status];
  if (status) where.push(status);
  const countWhere = [...where];
  if (after) where.push(`(d.detected_at, d.id) > (${params.add(after[0])}, ${params.add(after[1])})`);
  const sqlWhere = (w: string[]) => (w.length ? `where ${w.join(' and ')}` : '');
  const rows =
    size === 0
      ? []
      : await query<DuplicateRow>(
          em,
          `select ${COLUMNS} from contact_duplicate d ${sqlWhere(where)}
           order by d.detected_at, d.id ${limitRows(size + 1)}`,
          params.values,
        );
  return toConnection(
    rows,
    size,
    Boolean(after),
    (row) => [row.detectedAt, row.id],
    async () => {
      const [row] = await query<{ n: number }>(
        em,
        `select count(*)::int as n from contact_duplicate d ${sqlWhere(countWhere)}`,
      );
      return row?.n ?? 0;
    },
  );
}
