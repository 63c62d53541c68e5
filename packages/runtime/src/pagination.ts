import { ValidationError } from './errors.js';

/** The largest page any list serves, and the default (DESIGN.md: `first` at most 500, default 50). */
export const MAX_PAGE = 500;
export const DEFAULT_PAGE = 50;

/**
 * Keyset cursor: the sort key of the last row seen, `[sortValue, id]`. Clients only ever see it sealed
 * (shared/cursors.ts): the privacy plugin binds each page to its list field, which seals the cursors read from
 * it, and opens the `after` argument of that field into an {@link OpenedCursor} before the resolver runs.
 */
export type CursorKey = readonly [string, string];

/** An `after` argument the privacy plugin opened for the list it was given to: the sort key's plaintext. */
export class OpenedCursor {
  constructor(readonly plaintext: string) {}
}

/** What a list field's page needs to hand out cursors: sealing for its list and purpose, and the audit. */
export interface PageBinding<T> {
  /** The sealed cursors of a page's sort keys, in order (sealed together: shared/cursors.ts). */
  sealAll(keys: readonly CursorKey[]): string[];
  /**
   * A row whose cursor or node is read has reached the caller (the audit trail counts it): answers the row as the
   * caller may see it (its view: the fields the purpose may not see in its state null).
   */
  reach(row: T, index: number): T;
}

/** An edge whose cursor is sealed only when a query asks for it (most list queries never do per row). */
class LazyEdge<T> implements Edge<T> {
  constructor(
    private readonly page: Connection<T>,
    private readonly index: number,
  ) {}
  /** The row; reading it is reaching it (counted once per row, with its cursor). */
  get node(): T {
    return this.page.nodeAt(this.index);
  }
  get cursor(): string {
    return this.page.cursorAt(this.index);
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

const notACursor = (field: string) =>
  new ValidationError([{ field, rule: 'cursor', message: 'is not a cursor this API issued' }]);

/**
 * The sort key of an `after` argument the privacy plugin opened; `isKey` checks its second part (a row id: a
 * UUID unless the rows are keyed otherwise, like privacy notices by version). Anything else — a string no
 * plugin opened — is refused: a list whose cursors were not sealed accepts none.
 */
export function decodeCursor(
  field: string,
  cursor: unknown,
  isKey: (key: string) => boolean = isUuid,
): CursorKey | undefined {
  if (cursor === undefined || cursor === null) return undefined;
  if (!(cursor instanceof OpenedCursor)) throw notACursor(field);
  try {
    const parsed: unknown = JSON.parse(cursor.plaintext);
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
  throw notACursor(field);
}

/** A cursor whose first part is a timestamp (the order of time-sorted lists), with the timestamp parsed. */
export function decodeTimeCursor(
  field: string,
  cursor: unknown,
  isKey: (key: string) => boolean = isUuid,
): readonly [Date, string] | undefined {
  const key = decodeCursor(field, cursor, isKey);
  if (!key) return undefined;
  const at = new Date(key[0]);
  if (Number.isNaN(at.getTime())) throw notACursor(field);
  return [at, key[1]];
}

/** Validates `first`: a whole number from 0 to MAX_PAGE. */
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

export interface PageInfo {
  readonly hasNextPage: boolean;
  readonly hasPreviousPage: boolean;
  readonly startCursor: string | null;
  readonly endCursor: string | null;
}

/**
 * One page of a list. Made unbound by the list's query; the privacy plugin binds it to the list field that
 * returns it ({@link Connection.bound}), and only a bound page hands out cursors: each one sealed for that
 * list and purpose, its row counted as reached.
 */
export class Connection<T> {
  #edges: Edge<T>[] | undefined;
  /** Every row's cursor, sealed together when the first one is asked for. */
  #cursors: string[] | undefined;
  /** The views of the rows reached so far (each row reached once, whichever of its cursor and node is read first). */
  #views: (T | undefined)[] | undefined;
  constructor(
    /** The page's rows (never the extra row that only tells that a next page exists). */
    readonly nodes: T[],
    readonly hasNextPage: boolean,
    readonly hasPreviousPage: boolean,
    private readonly keyOf: (row: T) => CursorKey,
    /** Counted only when the query asks for it. */
    readonly totalCount: () => Promise<number>,
    private readonly binding?: PageBinding<T>,
  ) {}

  /** The same page, handing out cursors for one list field (the privacy plugin's). */
  bound(binding: PageBinding<T>): Connection<T> {
    return new Connection(
      this.nodes,
      this.hasNextPage,
      this.hasPreviousPage,
      this.keyOf,
      this.totalCount,
      binding,
    );
  }

  /** The sealed cursor of the page's row at `index`; the row has reached the caller. */
  cursorAt(index: number): string {
    const binding = this.binding;
    if (!binding) throw new Error('a cursor was asked of a page no list field bound');
    this.reached(binding, index);
    this.#cursors ??= binding.sealAll(this.nodes.map((row) => this.keyOf(row)));
    return this.#cursors[index]!;
  }

  /**
   * The page's row at `index` as an edge's `node`; a bound page answers the row's view and counts it as reached
   * (the privacy plugin's binding: the redactions and the audit trail), so the edge's `node` field needs no
   * resolver of its own. An unbound page (no list
   * field returned it: code reading a page outside GraphQL) answers the row alone.
   */
  nodeAt(index: number): T {
    return this.binding ? this.reached(this.binding, index) : this.nodes[index]!;
  }

  /** Reaches the row at `index` once, whichever of its cursor and its node is read first; answers its view. */
  private reached(binding: PageBinding<T>, index: number): T {
    this.#views ??= new Array<T | undefined>(this.nodes.length);
    let view = this.#views[index];
    if (view === undefined) {
      view = binding.reach(this.nodes[index]!, index);
      this.#views[index] = view;
    }
    return view;
  }

  get edges(): Edge<T>[] {
    this.#edges ??= this.nodes.map((_node, index) => new LazyEdge(this, index));
    return this.#edges;
  }

  /** Its start and end cursors are those of the first and last edge (sealed once, equal as Relay clients expect). */
  get pageInfo(): PageInfo {
    const edge = (at: number) => (this.nodes.length === 0 ? null : this.edges.at(at)!.cursor);
    return {
      hasNextPage: this.hasNextPage,
      hasPreviousPage: this.hasPreviousPage,
      get startCursor() {
        return edge(0);
      },
      get endCursor() {
        return edge(-1);
      },
    };
  }
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
  return new Connection(page, rows.length > size, afterGiven, cursorOf, totalCount);
}
