import { defineEntity, p } from '@mikro-orm/core';
import { Contact } from '../contacts/contact.entity.js';

export const DUPLICATE_RESOLUTIONS = ['DISTINCT_PEOPLE', 'SAME_PERSON'] as const;
export type DuplicateResolution = (typeof DUPLICATE_RESOLUTIONS)[number];

/**
 * A contact written with the email of a contact its writer's purpose could not see: queued for a privacy
 * officer instead of answering CONFLICT, which would have told the writer that the hidden person exists.
 */
export const ContactDuplicateSchema = defineEntity({
  name: 'ContactDuplicate',
  tableName: 'contact_duplicate',
  // Mirrors the committed migrations; a test fails when the two drift apart.
  indexes: [
    {
      name: 'contact_duplicate_open_idx',
      properties: ['detectedAt', 'id'],
      where: 'resolved_at is null',
    },
  ],
  uniques: [{ name: 'contact_duplicate_pair_unique', properties: ['contact', 'existingContact'] }],
  properties: {
    id: p.uuid().primary(),
    contact: () => p.manyToOne(Contact).mapToPk().deleteRule('cascade').updateRule('cascade'),
    existingContact: () => p.manyToOne(Contact).mapToPk().deleteRule('cascade').updateRule('cascade'),
    detectedForPurpose: p.string().length(32),
    detectedAt: p.datetime(3),
    resolution: p.enum(DUPLICATE_RESOLUTIONS).columnType('varchar(16)').nullable(),
    resolvedAt: p.datetime(3).nullable(),
  },
});

export class ContactDuplicate extends ContactDuplicateSchema.class {}
ContactDuplicateSchema.setClass(ContactDuplicate);
