import { isPersonalField } from '@custos/policy';
import {
  type GraphQLObjectType,
  type GraphQLOutputType,
  getNamedType,
  getNullableType,
  isListType,
  isObjectType,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import { buildSchema } from '../../apps/subgraph/src/schema.js';
import { buildTicketsSchema } from '../../apps/tickets/src/schema.js';

/**
 * Generated from both subgraphs' schemas, so that a new type or list cannot slip past the mechanism: the
 * privacy plugin audits rows by their type's `auditSubject` and seals cursors by their page type's `pageOf`.
 */
describe('the schemas declare whom each row is about, and which lists page', () => {
  const schemas = { custos: buildSchema(), tickets: buildTicketsSchema() };
  const named = (type: GraphQLOutputType) => getNamedType(type);

  for (const [service, schema] of Object.entries(schemas)) {
    const objects = Object.values(schema.getTypeMap()).filter(
      (type): type is GraphQLObjectType => isObjectType(type) && !type.name.startsWith('__'),
    );
    const pages = objects.filter((type) => {
      const edges = type.getFields().edges;
      return edges !== undefined && isObjectType(named(edges.type));
    });
    // A page's edges hold its rows: they are audited through the page (their cursors) and the node field.
    const edgeTypes = new Set(pages.map((page) => named(page.getFields().edges!.type).name));

    it(`${service}: every type with a personal field or a single Contact in it says whom its rows are about`, () => {
      // A relation from a row that is no person's (`subjectless`: a company's contacts) tells nothing about
      // that row's own subject: the rows it leads to are audited by their own type.
      const about = objects.filter((type) =>
        Object.values(type.getFields()).some(
          (field) =>
            (isPersonalField(`${type.name}.${field.name}`) && field.extensions.subjectless !== true) ||
            (named(field.type).name === 'Contact' && !isListType(getNullableType(field.type))),
        ),
      );
      const roots = [schema.getQueryType()?.name, schema.getMutationType()?.name];
      const rows = about.filter((type) => !roots.includes(type.name) && !edgeTypes.has(type.name));
      expect(rows.length).toBeGreaterThan(0);
      const undeclared = rows.filter((type) => typeof type.extensions.auditSubject !== 'function');
      expect(undeclared.map((type) => type.name)).toEqual([]);
    });

    it(`${service}: every type with edges is a page of its node type (its cursors sealed, its rows audited)`, () => {
      expect(pages.length).toBeGreaterThan(0);
      for (const page of pages) {
        const edge = named(page.getFields().edges!.type) as GraphQLObjectType;
        expect(Object.keys(edge.getFields()).sort(), page.name).toEqual(['cursor', 'node']);
        const pageOf = page.extensions.pageOf as { name?: string } | undefined;
        expect(pageOf?.name ?? String(pageOf), page.name).toBe(named(edge.getFields().node!.type).name);
      }
    });
  }
});
