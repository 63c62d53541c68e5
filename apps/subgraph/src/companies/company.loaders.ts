import { byIdLoader } from '@custos/database';
import type { EntityManager } from '@mikro-orm/postgresql';
import type DataLoader from 'dataloader';
import { type CompanyRow, findCompaniesByIds } from './company.queries.js';

export interface CompanyLoaders {
  readonly company: DataLoader<string, CompanyRow | null>;
}

/** A request's company loaders (companies are not personal data: no row rule). */
export function createCompanyLoaders(em: EntityManager): CompanyLoaders {
  return { company: byIdLoader((ids) => findCompaniesByIds(em, ids)) };
}
