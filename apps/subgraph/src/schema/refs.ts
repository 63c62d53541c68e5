import type { CompanyRow } from '../companies/company.queries.js';
import type { ContactRow } from '../contacts/contact.queries.js';
import type { InteractionRow } from '../interactions/interaction.queries.js';
import { builder } from './builder.js';

/**
 * Object refs are declared here and implemented in their domain folders, so that types which point at
 * each other (contact ↔ company, interaction → contact) do not import each other in a cycle.
 */
export const ContactRef = builder.objectRef<ContactRow>('Contact');
export const CompanyRef = builder.objectRef<CompanyRow>('Company');
export const InteractionRef = builder.objectRef<InteractionRow>('Interaction');
