import { custosPrivacyPlugin, type SubgraphTypes } from '@custos/enforcement';
import SchemaBuilder from '@pothos/core';
import DirectivesPlugin from '@pothos/plugin-directives';
import FederationPlugin from '@pothos/plugin-federation';
import type { TicketsContext } from '../context.js';

/** The tickets subgraph's builder: the same privacy plugin as Custos, so the same policy decides every field. */
export const builder = new SchemaBuilder<SubgraphTypes<TicketsContext>>({
  plugins: [custosPrivacyPlugin, DirectivesPlugin, FederationPlugin],
  defaultFieldNullability: false,
});

builder.queryType({});

builder.scalarType('DateTime', {
  description: 'An instant, as an ISO 8601 date-time in UTC (e.g. 2026-01-31T12:00:00.000Z).',
  // Output only here: rows carry timestamps already formatted by PostgreSQL.
  serialize: (value) => String(value),
  parseValue: () => {
    throw new Error('DateTime is output only in the tickets subgraph');
  },
});
