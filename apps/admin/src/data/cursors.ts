import type { RedactionReason } from '@custos/policy';
import type { GetListResult } from 'react-admin';
import { HttpError } from 'react-admin';
import type { GraphQLClient } from './graphql';
import { type Redaction, redactionsAt } from './graphql';
import { notFound, type Row, withRedactions } from './resource';

export interface Connection<Node> {
  readonly totalCount: number;
  readonly pageInfo: { readonly hasNextPage: boolean; readonly endCursor: string | null };
  readonly edges?: readonly { readonly node: Node }[];
}

/** The largest page the API answers (`first` is at most 500). */
export const MAX_PAGE = 500;

export interface PageRequest {
  /**
   * Where the connection is in the answer: the query's root field, e.g. `contacts` (`data.contacts`), or the path
   * down to a relation, e.g. `['contact', 'interactions']` (`data.contact.interactions`).
   */
  readonly field: string | readonly string[];
  /** `$first`, `$after` and `variables`: the page's rows. */
  readonly pageDocument: string;
  /** The same connection asking only for `totalCount` and `pageInfo`: skips pages never visited. */
  readonly cursorDocument: string;
  /** The query's other variables (a filter, a contact id): pages are remembered per purpose and variables. */
  readonly variables: Readonly<Record<string, unknown>>;
  readonly page: number;
  readonly perPage: number;
  readonly signal?: AbortSignal | undefined;
  /**
   * The node's fields that are objects with redactable fields of their own (a pair's two contacts): each keeps the
   * reasons of its own redacted fields, and the row keeps only those of its direct fields.
   */
  readonly nested?: readonly string[];
}

/** A row with the reasons of its redacted fields, and each nested object (`nested`) with its own. */
function withNested(
  node: Row,
  path: readonly (string | number)[],
  redactions: readonly Redaction[],
  nested: readonly string[],
) {
  if (nested.length === 0) return withRedactions(node, redactionsAt(redactions, path));
  const direct = redactions.filter((redaction) => redaction.path.length === path.length + 1);
  const row: Row = { ...node };
  for (const key of nested) {
    const value = node[key];
    if (value !== null && typeof value === 'object') {
      row[key] = withRedactions(value as Row, redactionsAt(redactions, [...path, key]));
    }
  }
  return withRedactions(row, redactionsAt(direct, path));
}

export type CursorPager = (request: PageRequest) => Promise<GetListResult>;

/** A page's `meta` when the relation it pages came back redacted: no rows, and the server's reason. */
export interface RedactedPage {
  readonly redaction: RedactionReason;
}

const connectionAt = <Node>(data: unknown, path: readonly string[]): Connection<Node> | null => {
  let value = data;
  for (const step of path) value = (value as Record<string, unknown> | null | undefined)?.[step];
  return (value ?? null) as Connection<Node> | null;
};

/**
 * No connection where one was asked for: a relation the purpose may not follow (null, with its redaction entry)
 * is a page of no rows that says why; a parent row the purpose does not see (or that never existed) is NOT_FOUND.
 */
function missingConnection(path: readonly string[], redactions: readonly Redaction[]): GetListResult {
  const reason = redactionsAt(redactions, path.slice(0, -1))[path[path.length - 1] ?? ''];
  if (!reason) {
    const parent = path[0] ?? '';
    throw notFound(`${parent.charAt(0).toUpperCase()}${parent.slice(1)}`);
  }
  const meta: RedactedPage = { redaction: reason };
  return { data: [], total: 0, meta };
}

/**
 * Cursor pagination under react-admin's numbered pages: per purpose, connection, variables and page size, the
 * `after` cursor of each page reached so far (page 1 has none). A page never reached is skipped to with one
 * cursor-only request. Rows keep the reasons of their redacted fields.
 */
export function createCursorPager(graphql: GraphQLClient, purpose: () => string | undefined): CursorPager {
  const cursors = new Map<string, (string | null)[]>();
  return async ({ field, pageDocument, cursorDocument, variables, page, perPage, signal, nested = [] }) => {
    if (!Number.isInteger(perPage) || perPage < 1 || perPage > MAX_PAGE) {
      throw new HttpError(`first: must be 1 to ${MAX_PAGE} (BAD_USER_INPUT)`, 400, {
        code: 'BAD_USER_INPUT',
      });
    }
    const path = typeof field === 'string' ? [field] : field;
    const key = JSON.stringify([purpose(), path, perPage, variables]);
    const known = cursors.get(key) ?? [null];
    cursors.set(key, known);
    let reached = known.length - 1 < page - 1 ? known.length - 1 : page - 1;
    while (reached < page - 1) {
      const pages = Math.min(page - 1 - reached, Math.floor(MAX_PAGE / perPage));
      const skipped = await graphql<Record<string, Connection<never>>>(
        cursorDocument,
        { first: pages * perPage, after: known[reached], ...variables },
        signal,
      );
      const connection = connectionAt<never>(skipped.data, path);
      if (!connection) return missingConnection(path, skipped.redactions);
      const { endCursor, hasNextPage } = connection.pageInfo;
      if (!endCursor || (!hasNextPage && reached + pages < page - 1)) {
        return { data: [], total: connection.totalCount };
      }
      reached += pages;
      known[reached] = endCursor;
    }
    const result = await graphql<Record<string, Connection<Row>>>(
      pageDocument,
      { first: perPage, after: known[page - 1], ...variables },
      signal,
    );
    const connection = connectionAt<Row>(result.data, path);
    if (!connection) return missingConnection(path, result.redactions);
    if (connection.pageInfo.hasNextPage && connection.pageInfo.endCursor)
      known[page] = connection.pageInfo.endCursor;
    const data = (connection.edges ?? []).map((edge, index) =>
      withNested(edge.node, [...path, 'edges', index, 'node'], result.redactions, nested),
    );
    return {
      data,
      total: connection.totalCount,
      pageInfo: { hasNextPage: connection.pageInfo.hasNextPage, hasPreviousPage: page > 1 },
    };
  };
}
