import { randomUUID } from 'node:crypto';
import { isUuid, NotFoundError, Validator } from '@custos/runtime';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Company } from './company.entity.js';

export interface CompanyInput {
  readonly name?: string | null;
  readonly domain?: string | null;
  readonly industry?: string | null;
  readonly country?: string | null;
}

interface CleanCompany {
  name?: string;
  domain?: string | null;
  industry?: string | null;
  country?: string | null;
}

/** Validates a company input; `prefix` names nested inputs (`newCompany.name`). Reports into `v`. */
export function cleanCompanyInput(
  v: Validator,
  input: CompanyInput,
  mode: 'create' | 'update',
  prefix = '',
): CleanCompany {
  const clean: CleanCompany = {};
  if (mode === 'create' || input.name !== undefined) {
    const name = v.text(`${prefix}name`, input.name, { max: 200, required: true });
    if (name) clean.name = name;
  }
  if (input.domain !== undefined) clean.domain = v.domain(`${prefix}domain`, input.domain) ?? null;
  if (input.industry !== undefined)
    clean.industry = v.text(`${prefix}industry`, input.industry, { max: 100 }) ?? null;
  if (input.country !== undefined) clean.country = v.country(`${prefix}country`, input.country) ?? null;
  return clean;
}

/** Adds a new company to the unit of work (the caller flushes, inside its transaction). */
export function persistNewCompany(em: EntityManager, clean: CleanCompany, now: Date): Company {
  return em.create(Company, {
    id: randomUUID(),
    name: clean.name ?? '',
    domain: clean.domain ?? null,
    industry: clean.industry ?? null,
    country: clean.country ?? null,
    createdAt: now,
    updatedAt: now,
  });
}

export async function createCompany(em: EntityManager, input: CompanyInput, now: Date): Promise<string> {
  const v = new Validator();
  const clean = cleanCompanyInput(v, input, 'create');
  v.done();
  return em.transactional(async (tx) => {
    const company = persistNewCompany(tx, clean, now);
    await tx.flush();
    return company.id;
  });
}

export async function updateCompany(
  em: EntityManager,
  id: string,
  input: CompanyInput,
  now: Date,
): Promise<string> {
  const v = new Validator();
  const clean = cleanCompanyInput(v, input, 'update');
  v.done();
  if (!isUuid(id)) throw new NotFoundError('Company');
  return em.transactional(async (tx) => {
    const company = await tx.findOne(Company, { id });
    if (!company) throw new NotFoundError('Company');
    tx.assign(company, { ...clean, updatedAt: now });
    await tx.flush();
    return company.id;
  });
}
