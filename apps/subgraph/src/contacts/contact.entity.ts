import { defineEntity, p } from '@mikro-orm/core';
import { Company } from '../companies/company.entity.js';

/**
 * A person in the CRM. Every column but the id, the company link, the flags and the timestamps is personal
 * data; the address is stored flat and served as one `address` field (one category, redacted whole).
 */
export const ContactSchema = defineEntity({
  name: 'Contact',
  tableName: 'contact',
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
    company: () => p.manyToOne(Company).mapToPk().nullable(),
    restricted: p.boolean().default(false),
    createdAt: p.datetime(3),
    updatedAt: p.datetime(3),
  },
});

export class Contact extends ContactSchema.class {}
ContactSchema.setClass(Contact);
