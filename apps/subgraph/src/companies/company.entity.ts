import { defineEntity, p } from '@mikro-orm/core';

export const CompanySchema = defineEntity({
  name: 'Company',
  tableName: 'company',
  // Mirrors the committed migrations; a test fails when the two drift apart.
  indexes: [{ name: 'company_name_id_idx', properties: ['name', 'id'] }],
  properties: {
    id: p.uuid().primary(),
    name: p.string().length(200),
    domain: p.string().length(253).nullable(),
    industry: p.string().length(100).nullable(),
    country: p.string().columnType('char(2)').nullable(),
    createdAt: p.datetime(3),
    updatedAt: p.datetime(3),
  },
});

export class Company extends CompanySchema.class {}
CompanySchema.setClass(Company);
