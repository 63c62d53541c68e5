import { reloaded } from '@custos/database';
import { decodeTimeCursor, pageSize } from '@custos/runtime';
import { CompanyRef } from '../companies/company.ref.js';
import { InteractionRef } from '../interactions/interaction.ref.js';
import { builder } from '../schema/builder.js';
import { connectionType } from '../schema/connection.js';
import { connectionNodeFields } from '../schema/selection.js';
import type { ContactColumn, ContactRow } from './contact.queries.js';
import { listContacts } from './contact.queries.js';
import { ContactRef } from './contact.ref.js';
import { createContact, updateContact } from './contact.service.js';

const Address = builder.objectRef<ContactRow>('Address').implement({
  description: 'A postal address. One field, one data category: it is shown or redacted whole.',
  fields: (t) => ({
    street: t.exposeString('addressStreet', { nullable: true }),
    city: t.exposeString('addressCity', { nullable: true }),
    postalCode: t.exposeString('addressPostalCode', { nullable: true }),
    // Its own column, not Contact.country's: each field reads only the properties FIELD_COLUMNS selects for it.
    country: t.exposeString('addressCountry', { nullable: true, description: 'ISO 3166-1 alpha-2.' }),
  }),
});

const InteractionConnection = connectionType('Interaction', InteractionRef);

ContactRef.implement({
  extensions: { auditSubject: (row: ContactRow) => row.id },
  description:
    'A person in the CRM. Every personal field is nullable: it is null when the caller may not see it.',
  fields: (t) => ({
    id: t.exposeID('id'),
    fullName: t.exposeString('fullName', { nullable: true }),
    email: t.exposeString('email', { nullable: true }),
    emailMasked: t.exposeString('emailMasked', {
      nullable: true,
      description: 'The email with its local part masked, e.g. j***@example.com.',
    }),
    phone: t.exposeString('phone', { nullable: true, description: 'E.164, e.g. +14155550100.' }),
    phoneLast4: t.exposeString('phoneLast4', {
      nullable: true,
      description: 'The last four digits of the phone.',
    }),
    birthDate: t.expose('birthDate', { type: 'Date', nullable: true }),
    // Computed in SQL from the birth date (contact.queries.ts): a purpose may see the year and not the date.
    birthYear: t.exposeInt('birthYear', { nullable: true }),
    address: t.field({
      type: Address,
      nullable: true,
      resolve: (c) =>
        c.addressStreet || c.addressCity || c.addressPostalCode || c.addressCountry ? c : null,
    }),
    country: t.exposeString('country', {
      nullable: true,
      description: 'The country of the address (ISO 3166-1 alpha-2), a generalised location.',
    }),
    ipAddress: t.exposeString('ipAddress', { nullable: true }),
    healthNotes: t.exposeString('healthNotes', {
      nullable: true,
      description: 'Health information: a special category of personal data (GDPR Art 9).',
    }),
    company: t.field({
      type: CompanyRef,
      nullable: true,
      resolve: (c, _args, ctx) => (c.companyId ? ctx.loaders.company.load(c.companyId) : null),
    }),
    restricted: t.exposeBoolean('restricted', { description: 'Processing restricted (GDPR Art 18).' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    // Always read where the field is selected (FIELD_COLUMNS); never another column in its place.
    updatedAt: t.field({ type: 'DateTime', resolve: (c) => c.updatedAt! }),
    interactions: t.field({
      type: InteractionConnection,
      nullable: true,
      description: 'Calls, emails, meetings and notes logged on this contact, newest first.',
      args: { first: t.arg.int({ defaultValue: 50 }), after: t.arg.string() },
      resolve: (c, args, ctx) =>
        ctx.loaders.interactionsOfContact.load({
          parentId: c.id,
          first: pageSize('first', args.first),
          after: decodeTimeCursor('after', args.after),
        }),
    }),
  }),
});

builder.asEntity(ContactRef, {
  key: builder.selection<{ id: string }>('id'),
  resolveReference: (ref, ctx) => ctx.loaders.contact.load(ref.id),
});

export const ContactConnection = connectionType('Contact', ContactRef);

/**
 * The read-model properties each Contact field needs: a list selects only what its query asks for. A field's
 * resolver (and those of its nested object, e.g. Address) reads exactly these properties and no other: a
 * property another field selects may be absent, and the value would then depend on the rest of the query
 * (apps/subgraph/test/redaction.test.ts selects every field alone and with all the others).
 */
const FIELD_COLUMNS: Readonly<Record<string, readonly ContactColumn[]>> = {
  fullName: ['fullName'],
  email: ['email'],
  emailMasked: ['emailMasked'],
  phone: ['phone'],
  phoneLast4: ['phoneLast4'],
  birthDate: ['birthDate'],
  birthYear: ['birthYear'],
  address: ['addressStreet', 'addressCity', 'addressPostalCode', 'addressCountry'],
  country: ['country'],
  ipAddress: ['ipAddress'],
  healthNotes: ['healthNotes'],
  company: ['companyId'],
  updatedAt: ['updatedAt'],
};

function columnsFor(fields: Set<string>): ContactColumn[] {
  return [...fields].flatMap((field) => (Object.hasOwn(FIELD_COLUMNS, field) ? FIELD_COLUMNS[field]! : []));
}

const ContactFilter = builder.inputType('ContactFilter', {
  fields: (t) => ({
    search: t.string({ description: 'Matches part of the full name or the email, case-insensitively.' }),
    country: t.string({ description: 'ISO 3166-1 alpha-2 country of the address.' }),
    companyId: t.id(),
    createdAfter: t.field({ type: 'DateTime', description: 'Created at or after this instant.' }),
    createdBefore: t.field({ type: 'DateTime', description: 'Created before this instant.' }),
  }),
});

builder.queryFields((t) => ({
  contact: t.field({
    type: ContactRef,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => ctx.loaders.contact.load(args.id),
  }),
  contacts: t.field({
    type: ContactConnection,
    description: 'Contacts, newest first. `first` is at most 500.',
    args: {
      first: t.arg.int({ defaultValue: 50 }),
      after: t.arg.string(),
      filter: t.arg({ type: ContactFilter }),
    },
    resolve: (_root, args, ctx, info) =>
      listContacts(ctx.sql, ctx.principal.purpose, args, columnsFor(connectionNodeFields(info))),
  }),
}));

const AddressInput = builder.inputType('AddressInput', {
  fields: (t) => ({
    street: t.string(),
    city: t.string(),
    postalCode: t.string(),
    country: t.string({ description: 'ISO 3166-1 alpha-2.' }),
  }),
});

const NewCompanyInput = builder.inputType('NewCompanyInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    domain: t.string(),
    industry: t.string(),
    country: t.string(),
  }),
});

const contactInputFields = (required: boolean) =>
  builder.inputType(required ? 'CreateContactInput' : 'UpdateContactInput', {
    fields: (t) => ({
      fullName: t.string({ required }),
      email: t.string({ required }),
      phone: t.string({ description: 'E.164, e.g. +14155550100.' }),
      birthDate: t.field({ type: 'Date' }),
      address: t.field({ type: AddressInput, description: 'Replaces the whole address; null clears it.' }),
      ipAddress: t.string(),
      healthNotes: t.string(),
      companyId: t.id({ description: 'An existing company; null unlinks.' }),
      newCompany: t.field({ type: NewCompanyInput, description: 'Creates the company with the contact.' }),
    }),
  });

const CreateContactInput = contactInputFields(true);
const UpdateContactInput = contactInputFields(false);

builder.mutationFields((t) => ({
  createContact: t.field({
    type: ContactRef,
    nullable: true,
    args: { input: t.arg({ type: CreateContactInput, required: true }) },
    resolve: async (_root, args, ctx) =>
      reloaded(ctx.loaders.contact, await createContact(ctx.em, ctx.principal.purpose, args.input, ctx.now)),
  }),
  updateContact: t.field({
    type: ContactRef,
    nullable: true,
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: UpdateContactInput, required: true }) },
    resolve: async (_root, args, ctx) =>
      reloaded(
        ctx.loaders.contact,
        await updateContact(ctx.em, ctx.principal.purpose, args.id, args.input, ctx.now),
      ),
  }),
}));
