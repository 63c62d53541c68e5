import { randomUUID } from 'node:crypto';
import { assertWritable, NEW_CONTACT, visibleContactState } from '@custos/enforcement';
import { canonicalAddress } from '@custos/mail';
import type { PersonalField, Purpose } from '@custos/policy';
import { isUuid, NotFoundError, ValidationError, Validator } from '@custos/runtime';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Company } from '../companies/company.entity.js';
import { type CompanyInput, cleanCompanyInput, persistNewCompany } from '../companies/company.service.js';
import { claimEmail, queueDuplicates } from '../duplicates/duplicate.service.js';
import { Contact } from './contact.entity.js';

export interface AddressInput {
  readonly street?: string | null;
  readonly city?: string | null;
  readonly postalCode?: string | null;
  readonly country?: string | null;
}

export interface ContactInput {
  readonly fullName?: string | null;
  readonly email?: string | null;
  readonly phone?: string | null;
  readonly birthDate?: string | null;
  readonly address?: AddressInput | null;
  readonly ipAddress?: string | null;
  readonly healthNotes?: string | null;
  readonly companyId?: string | null;
  /** Creates the company in the same transaction as the contact. */
  readonly newCompany?: CompanyInput | null;
}

/** The personal fields of the input, by the policy field each one writes. */
const WRITABLE: Readonly<Record<string, PersonalField>> = {
  fullName: 'Contact.fullName',
  email: 'Contact.email',
  phone: 'Contact.phone',
  birthDate: 'Contact.birthDate',
  address: 'Contact.address',
  ipAddress: 'Contact.ipAddress',
  healthNotes: 'Contact.healthNotes',
};

type CleanContact = Partial<
  Pick<
    Contact,
    | 'fullName'
    | 'email'
    | 'phone'
    | 'birthDate'
    | 'addressStreet'
    | 'addressCity'
    | 'addressPostalCode'
    | 'addressCountry'
    | 'ipAddress'
    | 'healthNotes'
    | 'company'
  >
>;

function cleanContactInput(
  v: Validator,
  input: ContactInput,
  mode: 'create' | 'update',
  now: Date,
): CleanContact {
  const clean: CleanContact = {};
  const required = mode === 'create';
  if (required || input.fullName !== undefined) {
    const fullName = v.text('fullName', input.fullName, { max: 200, required: true });
    if (fullName) clean.fullName = fullName;
  }
  if (required || input.email !== undefined) {
    // Canonicalised as everywhere an address enters Custos (packages/mail): the public form's lookup, the
    // outbox's recipient and this column agree on one form (IDNA A-labels, lowercase domain, local part as given).
    try {
      clean.email = canonicalAddress(input.email ?? '', 'email');
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      for (const problem of error.problems) v.fail(problem.field, problem.rule, problem.message);
    }
  }
  if (input.phone !== undefined) clean.phone = v.phone('phone', input.phone) ?? null;
  if (input.birthDate !== undefined) clean.birthDate = v.birthDate('birthDate', input.birthDate, now) ?? null;
  if (input.address !== undefined) {
    // The address is one field (one category): given, it replaces the whole address; null clears it.
    const a = input.address ?? {};
    clean.addressStreet = v.text('address.street', a.street, { max: 200 }) ?? null;
    clean.addressCity = v.text('address.city', a.city, { max: 100 }) ?? null;
    clean.addressPostalCode = v.text('address.postalCode', a.postalCode, { max: 20 }) ?? null;
    clean.addressCountry = v.country('address.country', a.country) ?? null;
  }
  if (input.ipAddress !== undefined) clean.ipAddress = v.ipAddress('ipAddress', input.ipAddress) ?? null;
  if (input.healthNotes !== undefined) {
    clean.healthNotes = v.text('healthNotes', input.healthNotes, { max: 2000, multiline: true }) ?? null;
  }
  if (input.companyId !== undefined && input.companyId !== null && !isUuid(input.companyId)) {
    v.fail('companyId', 'id', 'must be a company id');
  }
  if (input.companyId !== undefined && input.newCompany) {
    v.fail('newCompany', 'exclusive', 'must not be given together with companyId');
  }
  return clean;
}

async function linkCompany(
  tx: EntityManager,
  input: ContactInput,
  clean: CleanContact,
  v: Validator,
  now: Date,
) {
  if (input.newCompany) {
    const company = cleanCompanyInput(v, input.newCompany, 'create', 'newCompany.');
    v.done();
    clean.company = persistNewCompany(tx, company, now).id;
  } else if (input.companyId !== undefined) {
    v.done();
    if (input.companyId !== null && (await tx.count(Company, { id: input.companyId })) === 0) {
      throw new NotFoundError('Company', 'companyId');
    }
    clean.company = input.companyId;
  } else {
    v.done();
  }
}

/** Creates a contact (and, when asked, its new company) in one transaction: all of it or nothing. */
export async function createContact(
  em: EntityManager,
  purpose: Purpose,
  input: ContactInput,
  now: Date,
): Promise<string> {
  const v = new Validator();
  const clean = cleanContactInput(v, input, 'create', now);
  assertWritable(purpose, input, WRITABLE, NEW_CONTACT);
  return em.transactional(async (tx) => {
    await linkCompany(tx, input, clean, v, now);
    const hidden = await claimEmail(tx, purpose, clean.email ?? '', null);
    const contact = tx.create(Contact, {
      id: randomUUID(),
      fullName: clean.fullName ?? '',
      email: clean.email ?? '',
      phone: clean.phone ?? null,
      birthDate: clean.birthDate ?? null,
      addressStreet: clean.addressStreet ?? null,
      addressCity: clean.addressCity ?? null,
      addressPostalCode: clean.addressPostalCode ?? null,
      addressCountry: clean.addressCountry ?? null,
      ipAddress: clean.ipAddress ?? null,
      healthNotes: clean.healthNotes ?? null,
      company: clean.company ?? null,
      restricted: false,
      createdAt: now,
      updatedAt: now,
    });
    await tx.flush();
    await queueDuplicates(tx, purpose, contact.id, hidden, now);
    return contact.id;
  });
}

export async function updateContact(
  em: EntityManager,
  purpose: Purpose,
  id: string,
  input: ContactInput,
  now: Date,
): Promise<string> {
  const v = new Validator();
  const clean = cleanContactInput(v, input, 'update', now);
  if (!isUuid(id)) {
    v.done();
    throw new NotFoundError('Contact');
  }
  return em.transactional(async (tx) => {
    // A row outside the purpose's row rule answers exactly like an id that does not exist.
    const state = await visibleContactState(tx, purpose, id);
    if (!state) throw new NotFoundError('Contact');
    assertWritable(purpose, input, WRITABLE, state);
    await linkCompany(tx, input, clean, v, now);
    const hidden = clean.email ? await claimEmail(tx, purpose, clean.email, id) : [];
    const contact = await tx.findOne(Contact, { id });
    if (!contact) throw new NotFoundError('Contact');
    tx.assign(contact, { ...clean, updatedAt: now });
    await tx.flush();
    await queueDuplicates(tx, purpose, contact.id, hidden, now);
    return contact.id;
  });
}
