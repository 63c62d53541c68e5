import { defineEntity, p } from '@mikro-orm/core';
import { Company } from '../companies/company.entity.js';

/**
 * A person in the CRM. Every column but the id, the company link, the flags and the timestamps is personal
 * data; the address is stored flat and served as one `address` field (one category, redacted whole).
 */
export const ContactSchema = defineEntity({
  name: 'Contact',
  tableName: 'contact',
  // Mirrors the committed migrations; a test fails when the two drift apart.
  indexes: [
    { name: 'contact_created_at_id_idx', properties: ['createdAt', 'id'] },
    { name: 'contact_live_created_at_id_idx', properties: ['createdAt', 'id'], where: 'erased_at is null' },
    { name: 'contact_country_created_at_id_idx', properties: ['addressCountry', 'createdAt', 'id'] },
    { name: 'contact_company_created_at_id_idx', properties: ['company', 'createdAt', 'id'] },
    {
      name: 'contact_full_name_trgm_idx',
      expression: 'create index contact_full_name_trgm_idx on contact using gin (full_name gin_trgm_ops)',
    },
    // Email uniqueness is checked per purpose (src/duplicates), not by a unique index: see the migration.
    {
      name: 'contact_email_lower_idx',
      expression: 'create index contact_email_lower_idx on contact (lower(email))',
    },
    {
      name: 'contact_email_trgm_idx',
      expression: 'create index contact_email_trgm_idx on contact using gin (email gin_trgm_ops)',
    },
  ],
  properties: {
    id: p.uuid().primary(),
    fullName: p.string().length(200),
    email: p.string().length(254),
    phone: p.string().length(16).nullable(),
    birthDate: p.string().columnType('date').nullable(),
    addressStreet: p.string().length(200).nullable(),
    addressCity: p.string().length(100).nullable(),
    addressPostalCode: p.string().length(20).nullable(),
    addressCountry: p.string().columnType('char(2)').nullable(),
    ipAddress: p.string().length(45).nullable(),
    healthNotes: p.string().length(2000).nullable(),
    company: () => p.manyToOne(Company).mapToPk().nullable().deleteRule('set null').updateRule('cascade'),
    restricted: p.boolean().default(false),
    limitSensitive: p.boolean().default(false),
    /** Bit CONSENT_BIT[purpose] set while that purpose's consent is GRANTED (maintained with the ledger). */
    consentGranted: p.smallint().default(0),
    /** Bit CONSENT_BIT[purpose] set while the contact objects to that purpose. */
    consentObjected: p.smallint().default(0),
    erasedAt: p.datetime(3).nullable(),
    createdAt: p.datetime(3),
    updatedAt: p.datetime(3),
  },
});

export class Contact extends ContactSchema.class {}
ContactSchema.setClass(Contact);
