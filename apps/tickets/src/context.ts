import type { DataContext } from '@custos/server';
import type { TicketLoaders } from './tickets/ticket.loaders.js';

/** Everything a resolver may use: the request's principal, its SQL session and the tickets domain's loaders. */
export type TicketsContext = DataContext<TicketLoaders>;
