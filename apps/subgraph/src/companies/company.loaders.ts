import { byIdLoader, type SqlSession } from '@custos/database';
import type DataLoader from 'dataloader';
import { type CompanyRow, findCompaniesByIds } from './company.queries.js';

export interface CompanyLoaders {
  readonly company: DataLoader<string, CompanyRow | null>;
}

/** A request's company loaders (companies are not personal data: no row rule). */
export function createCompanyLoaders(em: SqlSession): CompanyLoaders {
  return { company: byIdLoader((ids) => findCompaniesByIds(em, ids)) };
}
