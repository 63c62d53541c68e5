import SchemaBuilder from '@pothos/core';
import DirectivesPlugin from '@pothos/plugin-directives';
import FederationPlugin from '@pothos/plugin-federation';
import type { Context } from '../context.js';
import CustosPrivacyPlugin from '../privacy/plugin.js';

/** The schema types every Custos subgraph's builder uses (this one and apps/tickets'), for a given context. */
export interface SubgraphTypes<C extends object> {
  Context: C;
  Scalars: {
    ID: { Input: string; Output: string };
    DateTime: { Input: Date; Output: string };
    Date: { Input: string; Output: string };
  };
  Directives: {
    pii: { locations: 'FIELD_DEFINITION'; args: { category: string } };
    policy: { locations: 'FIELD_DEFINITION'; args: { policies: string[][] } };
  };
  FederationPolicies: `purpose:${string}`;
  DefaultFieldNullability: false;
}

/**
 * The one SchemaBuilder. It defines no types: each domain folder adds its own. Plugin order matters:
 * the privacy plugin wraps resolvers, so it comes before directives, which come before federation.
 */
export const builder = new SchemaBuilder<SubgraphTypes<Context>>({
  plugins: [CustosPrivacyPlugin, DirectivesPlugin, FederationPlugin],
  defaultFieldNullability: false,
});

builder.queryType({});
builder.mutationType({});
