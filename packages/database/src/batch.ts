import { type Connection, type CursorKey, toConnection } from '@custos/runtime';
import DataLoader from 'dataloader';
import { query, type SqlSession } from './sql.js';

/**
 * Batch loaders for nested lists (no N+1): every parent asked for in one tick of the event loop is served
 * by one statement, whatever the number of parents.
 */

/** Loads rows by primary key, one `= any($1)` statement per batch. */
export function byIdLoader<T extends { id: string }>(
  load: (ids: readonly string[]) => Promise<T[]>,
): DataLoader<string, T | null> {
  return new DataLoader(async (ids) => {
    const rows = await load(ids);
    const byId = new Map(rows.map((row) => [row.id, row]));
    return ids.map((id) => byId.get(id) ?? null);
  });
}

export interface ChildListSpec<T> {
  /** `from` clause with alias, e.g. `interaction i`. */
  readonly from: string;
  /** A condition every child row must meet: the purpose's row rule, in the same statement. */
  readonly scope: string;
  readonly columns: string;
  /** Qualified parent column, e.g. `i.contact_id`. */
  readonly parentColumn: string;
  /** Qualified timestamp column of the order (newest first), e.g. `i.occurred_at`. */
  readonly orderColumn: string;
  /** Qualified id column, e.g. `i.id`. */
  readonly idColumn: string;
  readonly cursorOf: (row: T) => CursorKey;
}

export interface ChildPageKey {
  readonly parentId: string;
  readonly first: number;
  /** Parsed by `decodeTimeCursor`: child lists are ordered by a timestamp. */
  readonly after: readonly [Date, string] | undefined;
}

type Tagged<T> = T & { __parent: string; __rn: number };

/**
 * One page of children per parent. Keys asking for the same page shape (`first`, `after`) share one
 * windowed statement: `row_number() over (partition by parent)` cuts each parent's page in SQL.
 */
export function childPageLoader<T extends object>(
  em: SqlSession,
  spec: ChildListSpec<T>,
): DataLoader<ChildPageKey, Connection<T>, string> {
  const counts = new DataLoader<string, number>(async (parentIds) => {
    const rows = await query<{ parent: string; n: number }>(
      em,
      `select ${spec.parentColumn} as parent, count(*)::int as n from ${spec.from}
       where ${spec.parentColumn} = any($1::uuid[]) and ${spec.scope} group by 1`,
      [parentIds],
    );
    const byParent = new Map(rows.map((r) => [r.parent, r.n]));
    return parentIds.map((id) => byParent.get(id) ?? 0);
  });

  return new DataLoader<ChildPageKey, Connection<T>, string>(
    async (keys) => {
      const groups = new Map<string, ChildPageKey[]>();
      for (const key of keys) {
        const shape = JSON.stringify([key.first, key.after ?? null]);
        const group = groups.get(shape);
        if (group) group.push(key);
        else groups.set(shape, [key]);
      }
      const pages = new Map<string, Connection<T>>();
      for (const group of groups.values()) {
        const { first, after } = group[0]!;
        const parents = [...new Set(group.map((k) => k.parentId))];
        const params: unknown[] = [parents];
        let cursorSql = '';
        if (after) {
          params.push(after[0], after[1]);
          cursorSql = `and (${spec.orderColumn}, ${spec.idColumn}) < ($2, $3)`;
        }
        params.push(first + 1);
        const rows =
          first === 0
            ? []
            : await query<Tagged<T>>(
                em,
                `select * from (
                   select ${spec.columns}, ${spec.parentColumn} as "__parent",
                     row_number() over (partition by ${spec.parentColumn}
                       order by ${spec.orderColumn} desc, ${spec.idColumn} desc) as "__rn"
                   from ${spec.from}
                   where ${spec.parentColumn} = any($1::uuid[]) and ${spec.scope} ${cursorSql}
                 ) page where "__rn" <= $${params.length} order by "__parent", "__rn"`,
                params,
              );
        const byParent = new Map<string, T[]>();
        for (const { __parent, __rn: _rn, ...row } of rows) {
          const list = byParent.get(__parent);
          if (list) list.push(row as unknown as T);
          else byParent.set(__parent, [row as unknown as T]);
        }
        for (const key of group) {
          pages.set(
            cacheKey(key),
            toConnection(byParent.get(key.parentId) ?? [], first, Boolean(after), spec.cursorOf, () =>
              counts.load(key.parentId),
            ),
          );
        }
      }
      return keys.map((key) => pages.get(cacheKey(key))!);
    },
    { cacheKeyFn: cacheKey },
  );
}

function cacheKey(key: ChildPageKey): string {
  return JSON.stringify([key.parentId, key.first, key.after ?? null]);
}

/** A mutation answers with the row as now stored, read like any other (the loader may hold the old one). */
export function reloaded<T>(loader: DataLoader<string, T | null>, id: string): Promise<T | null> {
  loader.clear(id);
  return loader.load(id);
}
