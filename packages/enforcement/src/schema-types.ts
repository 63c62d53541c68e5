// The federation plugin's additions to the type options (`shareable`).

import { type Connection, checkScalar, type PageInfo as PageInfoShape } from '@custos/runtime';
import type { ObjectRef } from '@pothos/core';
import type {} from '@pothos/plugin-federation';
import { Kind } from 'graphql';
import type { PageTypeExtensions } from './plugin.js';
import type { SubgraphTypes } from './types.js';

/** A builder declaring {@link SubgraphTypes}: every Custos subgraph's. */
export type SubgraphBuilder<C extends object> = PothosSchemaTypes.SchemaBuilder<
  PothosSchemaTypes.ExtendDefaultTypes<SubgraphTypes<C>>
>;

/**
 * The types every Custos subgraph shares, defined once so that the supergraph has one of each: the `DateTime`
 * and `Date` scalars and `PageInfo` (a value type: `@shareable`, identical in every subgraph). Returns
 * `connectionType` for the builder: `<Name>Connection` and `<Name>Edge` for a node type, one definition for
 * every list. A connection names its node type (`pageOf`): the privacy plugin binds every field returning it
 * to that field, so that its cursors are sealed for the list and purpose and each row whose cursor is read is
 * audited.
 */
export function sharedSchemaTypes<C extends object>(builder: SubgraphBuilder<C>) {
  // The scalars refuse with their rule in fixed words (@custos/runtime's scalar-rules.ts), never the value: the
  // error is answered with the position of the value (argument, variable, input field) added where it is
  // formatted.
  builder.scalarType('DateTime', {
    description: 'An instant, as an ISO 8601 date-time in UTC (e.g. 2026-01-31T12:00:00.000Z).',
    // Rows carry timestamps already formatted as ISO 8601 UTC by PostgreSQL (see isoTimestamp).
    serialize: (value) => String(value),
    parseValue: (value) => new Date(checkScalar('DateTime', value)),
    parseLiteral: (ast) =>
      new Date(checkScalar('DateTime', ast.kind === Kind.STRING ? ast.value : undefined, ast)),
  });

  builder.scalarType('Date', {
    description: 'A calendar date, YYYY-MM-DD.',
    serialize: (value) => String(value),
    parseValue: (value) => checkScalar('Date', value),
    parseLiteral: (ast) => checkScalar('Date', ast.kind === Kind.STRING ? ast.value : undefined, ast),
  });

  const PageInfo = builder.objectRef<PageInfoShape>('PageInfo').implement({
    description: 'Relay page information. Pagination is forward only (`first`/`after`).',
    // Every subgraph defines it, identically: Federation 2 lets any of them resolve it.
    shareable: true,
    fields: (t) => ({
      hasNextPage: t.exposeBoolean('hasNextPage'),
      hasPreviousPage: t.exposeBoolean('hasPreviousPage', {
        description: 'True when the page was requested with `after` (rows exist before it).',
      }),
      startCursor: t.exposeString('startCursor', { nullable: true }),
      endCursor: t.exposeString('endCursor', { nullable: true }),
    }),
  });

  return function connectionType<T>(
    name: string,
    node: ObjectRef<PothosSchemaTypes.ExtendDefaultTypes<SubgraphTypes<C>>, T>,
  ) {
    const Edge = builder.objectRef<{ cursor: string; node: T }>(`${name}Edge`).implement({
      fields: (t) => ({
        cursor: t.exposeString('cursor'),
        // No resolver: graphql-jit reads the property, and the page counts the row as reached when it is read
        // (pagination.ts `nodeAt`, through the binding of the list field that returned the page), so a row reached
        // through an edge is audited exactly as one reached through `nodes`, without a resolver call (and
        // graphql-jit's resolve info and response path) per row.
        node: t.expose('node', { type: node, extensions: { reachedThroughPage: true } }),
      }),
    });
    const extensions: PageTypeExtensions = { pageOf: node };
    return builder.objectRef<Connection<T>>(`${name}Connection`).implement({
      extensions,
      fields: (t) => ({
        edges: t.field({ type: [Edge], resolve: (c) => c.edges }),
        nodes: t.field({ type: [node], resolve: (c) => c.nodes as never }),
        pageInfo: t.field({ type: PageInfo, resolve: (c) => c.pageInfo }),
        totalCount: t.int({
          description: 'Rows matching the filter, across all pages.',
          resolve: (c) => c.totalCount(),
        }),
      }),
    });
  };
}
