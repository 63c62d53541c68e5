import './tickets/ticket.schema.js';
import { federatedSchema } from '@custos/enforcement';
import type { GraphQLSchema } from 'graphql';
import { builder } from './schema/builder.js';

/** The tickets subgraph's schema: Ticket, and Custos' Contact (keyed by `id`) extended with its tickets. */
export function buildTicketsSchema(): GraphQLSchema {
  return federatedSchema((options) => builder.toSubGraphSchema(options as never));
}
