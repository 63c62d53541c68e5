import type { SqlSession } from '@custos/database';
import type { Purpose } from '@custos/policy';
import { type CompanyLoaders, createCompanyLoaders } from './companies/company.loaders.js';
import { type ContactLoaders, createContactLoaders } from './contacts/contact.loaders.js';
import { createInteractionLoaders, type InteractionLoaders } from './interactions/interaction.loaders.js';

/** Every domain's loaders of a request (each domain folder owns its own). */
export type Loaders = ContactLoaders & CompanyLoaders & InteractionLoaders;

/**
 * Fresh loaders per request, bound to the request's purpose: every statement they run carries the
 * purpose's row rule and reads only the columns the purpose may see. Nothing is cached across requests.
 */
export function createLoaders(em: SqlSession, purpose: Purpose): Loaders {
  return {
    ...createContactLoaders(em, purpose),
    ...createCompanyLoaders(em),
    ...createInteractionLoaders(em, purpose),
  };
}
