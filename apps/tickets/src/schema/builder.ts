import { custosPrivacyPlugin, type SubgraphTypes, sharedSchemaTypes } from '@custos/enforcement';
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

/** The shared DateTime, Date and PageInfo (the same as Custos'), and `<Name>Connection` for this builder. */
export const connectionType = sharedSchemaTypes(builder);
