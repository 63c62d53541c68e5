import { reloaded } from '@custos/database';
import { decodeTimeCursor, pageSize } from '@custos/runtime';
import { ContactConnection } from '../contacts/contact.schema.js';
import { builder } from '../schema/builder.js';
import { connectionType } from '../schema/connection.js';
import { listCompanies } from './company.queries.js';
import { CompanyRef } from './company.ref.js';
import { createCompany, updateCompany } from './company.service.js';

CompanyRef.implement({
  description:
    'An organisation contacts work for. Company data is not personal data; who works there is (`contacts`).',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    domain: t.exposeString('domain', { nullable: true }),
    industry: t.exposeString('industry', { nullable: true }),
    country: t.exposeString('country', { nullable: true, description: 'ISO 3166-1 alpha-2.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    contacts: t.field({
      type: ContactConnection,
      // Which people work here is theirs (user.workplace): null for a purpose that may not know it.
      nullable: true,
      extensions: { subjectless: true },
      description:
        'The contacts who work here, newest first: those whose `Contact.company` the purpose may see. Null for a purpose that may not know who works where.',
      args: { first: t.arg.int({ defaultValue: 50 }), after: t.arg.string() },
      resolve: (company, args, ctx) =>
        ctx.loaders.contactsOfCompany.load({
          parentId: company.id,
          first: pageSize('first', args.first),
          after: decodeTimeCursor('after', args.after),
        }),
    }),
  }),
});

const CompanyConnection = connectionType('Company', CompanyRef);

builder.queryFields((t) => ({
  company: t.field({
    type: CompanyRef,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => ctx.loaders.company.load(args.id),
  }),
  companies: t.field({
    type: CompanyConnection,
    description: 'Companies by name. `first` is at most 500.',
    args: {
      first: t.arg.int({ defaultValue: 50 }),
      after: t.arg.string(),
      search: t.arg.string({ description: 'Matches part of the name, case-insensitively.' }),
    },
    resolve: (_root, args, ctx) => listCompanies(ctx.em, args),
  }),
}));

const companyInput = (required: boolean) =>
  builder.inputType(required ? 'CreateCompanyInput' : 'UpdateCompanyInput', {
    fields: (t) => ({
      name: t.string({ required }),
      domain: t.string(),
      industry: t.string(),
      country: t.string({ description: 'ISO 3166-1 alpha-2.' }),
    }),
  });
const CreateCompanyInput = companyInput(true);
const UpdateCompanyInput = companyInput(false);

builder.mutationFields((t) => ({
  createCompany: t.field({
    type: CompanyRef,
    nullable: true,
    args: { input: t.arg({ type: CreateCompanyInput, required: true }) },
    resolve: async (_root, args, ctx) =>
      reloaded(ctx.loaders.company, await createCompany(ctx.em, args.input, ctx.now)),
  }),
  updateCompany: t.field({
    type: CompanyRef,
    nullable: true,
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: UpdateCompanyInput, required: true }) },
    resolve: async (_root, args, ctx) =>
      reloaded(ctx.loaders.company, await updateCompany(ctx.em, args.id, args.input, ctx.now)),
  }),
}));
