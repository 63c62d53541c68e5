import './scalars.js';
import '../contacts/contact.schema.js';
import '../companies/company.schema.js';
import '../interactions/interaction.schema.js';
import type { GraphQLSchema } from 'graphql';
import { builder } from './builder.js';

/** The subgraph schema: Federation 2, Contact as an entity keyed by `id`. */
export function buildSchema(): GraphQLSchema {
  return builder.toSubGraphSchema({ linkUrl: 'https://specs.apollo.dev/federation/v2.6' });
}
