import './scalars.js';
import '../contacts/contact.schema.js';
import '../companies/company.schema.js';
import '../interactions/interaction.schema.js';
import '../duplicates/duplicate.schema.js';
import '../privacy/access.schema.js';
import {
  DirectiveLocation,
  defaultFieldResolver,
  GraphQLDirective,
  GraphQLNonNull,
  type GraphQLSchema,
  GraphQLString,
} from 'graphql';
import { guardOperation } from '../privacy/plugin.js';
import { builder } from './builder.js';

/**
 * The subgraph schema: Federation 2, Contact as an entity keyed by `id`. The federation plugin adds
 * `_entities` and `_service` after Pothos has wrapped every field, so the same operation guard (purpose may
 * run it; `_entities` capped at the largest page) is put on them here: no root field escapes the policy.
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

export function buildSchema(): GraphQLSchema {
  const schema = builder.toSubGraphSchema({
    linkUrl: 'https://specs.apollo.dev/federation/v2.6',
    federationDirectives: ['@key', '@policy'],
    directives: [piiDirective],
    // @composeDirective carries @pii into the supergraph, where gateways and catalogues can read it.
    composeDirectives: ['@pii'],
    extensions: { directives: [{ name: 'link', args: { url: PII_SPEC_URL, import: ['@pii'] } }] },
  });
  const fields = schema.getQueryType()?.getFields() ?? {};
  for (const name of ['_entities', '_service']) {
    const field = fields[name];
    if (field) field.resolve = guardOperation(`Query.${name}`, field.resolve ?? defaultFieldResolver);
  }
  return schema;
}
