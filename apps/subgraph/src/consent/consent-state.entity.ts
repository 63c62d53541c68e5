import { CONSENT_STATUSES } from '@custos/policy';
import { defineEntity, p } from '@mikro-orm/core';
import { Contact } from '../contacts/contact.entity.js';

/** The current consent status of a contact for a purpose, derived from the consent ledger. */
export const ConsentStateSchema = defineEntity({
  name: 'ConsentState',
  tableName: 'consent_state',
  // Mirrors the committed migrations; a test fails when the two drift apart.
  indexes: [{ name: 'consent_state_purpose_status_idx', properties: ['purpose', 'status', 'contact'] }],
  properties: {
    contact: () => p.manyToOne(Contact).mapToPk().primary().deleteRule('cascade').updateRule('cascade'),
    purpose: p.string().length(32).primary(),
    status: p.enum(CONSENT_STATUSES).columnType('varchar(16)'),
    updatedAt: p.datetime(3),
  },
});

export class ConsentState extends ConsentStateSchema.class {}
ConsentStateSchema.setClass(ConsentState);
