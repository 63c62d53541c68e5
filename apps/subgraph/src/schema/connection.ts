import type { PageTypeExtensions } from '@custos/enforcement';
import type { Connection, PageInfo as PageInfoShape } from '@custos/runtime';
import type { ObjectRef } from '@pothos/core';
import { builder } from './builder.js';

type SchemaTypes = typeof builder.$inferSchemaTypes;

const PageInfo = builder.objectRef<PageInfoShape>('PageInfo').implement({
  description: 'Relay page information. Pagination is forward only (`first`/`after`).',
  fields: (t) => ({
    hasNextPage: t.exposeBoolean('hasNextPage'),
    hasPreviousPage: t.exposeBoolean('hasPreviousPage', {
      description: 'True when the page was requested with `after` (rows exist before it).',
    }),
    startCursor: t.exposeString('startCursor', { nullable: true }),
    endCursor: t.exposeString('endCursor', { nullable: true }),
  }),
});

/**
 * `<Name>Connection` and `<Name>Edge` for a node type: one definition for every list in the schema. The type
 * names its node type (`pageOf`): the privacy plugin binds every field returning it to that field, so that its
 * cursors are sealed for the list and purpose and each row whose cursor is read is audited.
 */
export function connectionType<T>(name: string, node: ObjectRef<SchemaTypes, T>) {
  const Edge = builder.objectRef<{ cursor: string; node: T }>(`${name}Edge`).implement({
    fields: (t) => ({
      cursor: t.exposeString('cursor'),
      // Pothos cannot narrow a generic T to its resolver-result type; the value is the node itself.
      node: t.field({ type: node, resolve: (edge) => edge.node as never }),
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
}
