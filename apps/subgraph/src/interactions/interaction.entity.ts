import { defineEntity, p } from '@mikro-orm/core';
import { Contact } from '../contacts/contact.entity.js';

export const INTERACTION_TYPES = ['CALL', 'EMAIL', 'MEETING', 'NOTE'] as const;
export type InteractionType = (typeof INTERACTION_TYPES)[number];

/** A call, email, meeting or note logged on a contact by an agent (the token's subject). */
export const InteractionSchema = defineEntity({
  name: 'Interaction',
  tableName: 'interaction',
  // Mirrors the committed migrations; a test fails when the two drift apart.
  indexes: [{ name: 'interaction_contact_occurred_id_idx', properties: ['contact', 'occurredAt', 'id'] }],
  properties: {
    id: p.uuid().primary(),
    contact: () => p.manyToOne(Contact).mapToPk().deleteRule('cascade').updateRule('cascade'),
    type: p.enum(INTERACTION_TYPES).columnType('varchar(16)'),
    subject: p.string().length(200),
    body: p.string().length(10000).nullable(),
    occurredAt: p.datetime(3),
    loggedBy: p.string().length(200),
    createdAt: p.datetime(3),
    updatedAt: p.datetime(3),
  },
});

export class Interaction extends InteractionSchema.class {}
InteractionSchema.setClass(Interaction);
