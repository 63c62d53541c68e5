import { builder } from '../schema/builder.js';
import type { CompanyRow } from './company.queries.js';

/**
 * `Company`'s object ref, declared apart from its implementation (company.schema.ts) so that types which point
 * at each other (contact ↔ company, interaction → contact) do not import each other in a cycle.
 */
export const CompanyRef = builder.objectRef<CompanyRow>('Company');
