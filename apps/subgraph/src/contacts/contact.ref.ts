import { builder } from '../schema/builder.js';
import type { ContactRow } from './contact.queries.js';

/**
 * `Contact`'s object ref, declared apart from its implementation (contact.schema.ts) so that types which point
 * at each other (contact ↔ company, interaction → contact) do not import each other in a cycle.
 */
export const ContactRef = builder.objectRef<ContactRow>('Contact');
