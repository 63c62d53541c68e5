// The federation plugin's additions to SchemaBuilder (toSubGraphSchema).
import type {} from '@pothos/plugin-federation';
import {
  DirectiveLocation,
  defaultFieldResolver,
  GraphQLDirective,
  GraphQLNonNull,
  type GraphQLSchema,
  GraphQLString,
  specifiedDirectives,
} from 'graphql';
import { assertRowsViewed, guardOperation, viewEntities, viewsRows } from './plugin.js';

/**
 * What makes a schema a Custos subgraph, for every builder (this subgraph's and apps/tickets'): Federation 2,
 * `@policy` and `@pii` generated from the policy, and — because the federation plugin adds `_entities` and
 * `_service` after Pothos has wrapped every field — the operation guard put on those two here, so that no
 * root field escapes the policy (`_entities` is capped at the largest page), and every entity `_entities`
 * resolves is audited as reached.
 */
/** `@pii(category:)`: the data category of a personal field (fideslang key), from packages/policy. */
export const PII_SPEC_URL = 'https://custos.dev/pii/v1.0';
const piiDirective = new GraphQLDirective({
  name: 'pii',
  description:
    'The field holds personal data of this category (fideslang key); generated from packages/policy.',
  locations: [DirectiveLocation.FIELD_DEFINITION],
  args: { category: { type: new GraphQLNonNull(GraphQLString) } },
});

/** The options Pothos' federation plugin takes; the same shape for every builder. */
type SubGraphOptions = Parameters<
  PothosSchemaTypes.SchemaBuilder<
    PothosSchemaTypes.ExtendDefaultTypes<Record<never, never>>
  >['toSubGraphSchema']
>[0];

/**
 * A Custos subgraph schema from a Pothos builder (this one or apps/tickets'): Federation 2.6 with `@key`,
 * `@shareable` (the value types every subgraph defines) and `@policy`, `@pii` linked and composed, and the
 * operation guard on `_entities` and `_service`.
 */
export function federatedSchema(
  toSubGraphSchema: (options: SubGraphOptions) => GraphQLSchema,
): GraphQLSchema {
  const schema = toSubGraphSchema({
    linkUrl: 'https://specs.apollo.dev/federation/v2.6',
    federationDirectives: ['@key', '@policy', '@shareable'],
    // A schema given its own directives has only those: the specified ones (@skip, @include, @deprecated,
    // @specifiedBy, @oneOf) are listed too, or a client's (and a gateway's) @skip/@include fails validation.
    directives: [...specifiedDirectives, piiDirective],
    // @composeDirective carries @pii into the supergraph, where gateways and catalogues can read it.
    composeDirectives: ['@pii'],
    extensions: { directives: [{ name: 'link', args: { url: PII_SPEC_URL, import: ['@pii'] } }] },
  });
  const fields = schema.getQueryType()?.getFields() ?? {};
  const entities = fields._entities;
  // Every entity resolved is a row reached, whatever the gateway selected of it, and handed out as its view.
  if (entities) entities.resolve = viewEntities(entities.resolve ?? defaultFieldResolver);
  for (const name of ['_entities', '_service']) {
    const field = fields[name];
    if (field) {
      const guarded = guardOperation(`Query.${name}`, field.resolve ?? defaultFieldResolver);
      field.resolve = name === '_entities' ? viewsRows(guarded) : guarded;
    }
  }
  assertRowsViewed(schema);
  return schema;
}
