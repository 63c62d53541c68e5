import { builder } from '../schema/builder.js';
import type { InteractionRow } from './interaction.queries.js';

/**
 * `Interaction`'s object ref, declared apart from its implementation (interaction.schema.ts) so that types which point
 * at each other (contact ↔ company, interaction → contact) do not import each other in a cycle.
 */
export const InteractionRef = builder.objectRef<InteractionRow>('Interaction');
