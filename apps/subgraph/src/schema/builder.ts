import { custosPrivacyPlugin, type SubgraphTypes } from '@custos/enforcement';
import SchemaBuilder from '@pothos/core';
import DirectivesPlugin from '@pothos/plugin-directives';
import FederationPlugin from '@pothos/plugin-federation';
import type { Context } from '../context.js';

/**
 * The one SchemaBuilder. It defines no types: each domain folder adds its own. Plugin order matters:
 * the privacy plugin wraps resolvers, so it comes before directives, which come before federation.
 */
export const builder = new SchemaBuilder<SubgraphTypes<Context>>({
  plugins: [custosPrivacyPlugin, DirectivesPlugin, FederationPlugin],
  defaultFieldNullability: false,
});

builder.queryType({});
builder.mutationType({});
