import { ValidationError } from './errors.js';

/** The largest page any list serves, and the default (DESIGN.md: `first` at most 500, default 50). */
export const MAX_PAGE = 500;
export const DEFAULT_PAGE = 50;

/**
 * Keyset cursor: the sort key of the last row seen, `[sortValue, id]`, as base64url JSON. Opaque to clients;
 * it holds no personal value (timestamps and ids only — name-sorted lists use the id alone).
 */
export type CursorKey = readonly [string, string];

export function encodeCursor(key: CursorKey): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/** An edge whose cursor is encoded only when a query asks for it (most list queries never do per row). */
class LazyEdge<T> implements Edge<T> {
  #cursor: string | undefined;
  constructor(
    readonly node: T,
    private readonly cursorOf: (row: T) => CursorKey,
  ) {}
  get cursor(): string {
    this.#cursor ??= encodeCursor(this.cursorOf(this.node));
    return this.#cursor;
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/**
 * Decodes a cursor this API issued; `isKey` checks its second part (a row id: a UUID unless the rows are keyed
 * otherwise, like privacy notices by version).
 */
export function decodeCursor(
  field: string,
  cursor: string | null | undefined,
  isKey: (key: string) => boolean = isUuid,
): CursorKey | undefined {
  if (cursor === undefined || cursor === null) return undefined;
  try {
    if (cursor.length > 200) throw new Error('too long');
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(parsed) &&
      parsed.length === 2 &&
      typeof parsed[0] === 'string' &&
      typeof parsed[1] === 'string' &&
      isKey(parsed[1]) &&
      parsed[0].length <= 64
    ) {
      return [parsed[0], parsed[1]];
    }
  } catch {
    // fall through to the validation error
  }
  throw new ValidationError([{ field, rule: 'cursor', message: 'is not a cursor this API issued' }]);
}

/** Validates `first`: a whole number from 0 to MAX_PAGE. */
/** A cursor whose first part is a timestamp (the order of time-sorted lists), with the timestamp parsed. */
export function decodeTimeCursor(
  field: string,
  cursor: string | null | undefined,
  isKey: (key: string) => boolean = isUuid,
): readonly [Date, string] | undefined {
  const key = decodeCursor(field, cursor, isKey);
  if (!key) return undefined;
  const at = new Date(key[0]);
  if (Number.isNaN(at.getTime())) {
    throw new ValidationError([{ field, rule: 'cursor', message: 'is not a cursor this API issued' }]);
  }
  return [at, key[1]];
}

export function pageSize(field: string, first: number | null | undefined): number {
  const size = first ?? DEFAULT_PAGE;
  if (!Number.isInteger(size) || size < 0 || size > MAX_PAGE) {
    throw new ValidationError([{ field, rule: 'range', message: `must be between 0 and ${MAX_PAGE}` }]);
  }
  return size;
}

export interface Edge<T> {
  readonly cursor: string;
  readonly node: T;
}

export interface Connection<T> {
  readonly edges: Edge<T>[];
  readonly pageInfo: {
    hasNextPage: boolean;
    hasPreviousPage: boolean;
    startCursor: string | null;
    endCursor: string | null;
  };
  /** Counted only when the query asks for it. */
  readonly totalCount: () => Promise<number>;
}

/** Builds a connection from `size + 1` fetched rows: the extra row only tells that a next page exists. */
export function toConnection<T>(
  rows: T[],
  size: number,
  afterGiven: boolean,
  cursorOf: (row: T) => CursorKey,
  totalCount: () => Promise<number>,
): Connection<T> {
  const page = rows.length > size ? rows.slice(0, size) : rows;
  const edges: Edge<T>[] = page.map((node) => new LazyEdge(node, cursorOf));
  return {
    edges,
    pageInfo: {
      hasNextPage: rows.length > size,
      hasPreviousPage: afterGiven,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
    totalCount,
  };
}
