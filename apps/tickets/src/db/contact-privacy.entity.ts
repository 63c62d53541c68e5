import { defineEntity, p } from '@mikro-orm/core';

/**
 * The view `tickets.contact_privacy` (migration ContactPrivacyView): a contact's id and privacy state, all the
 * tickets subgraph may know of Custos' contacts. Declared so that the model describes the schema the migrations
 * build (read only, through the row rules' SQL: ticket.queries.ts); its expression mirrors the migration's
 * (a test compares them).
 */
export const CONTACT_PRIVACY_VIEW =
  'select id, erased_at, restricted, limit_sensitive, consent_granted, consent_objected from public.contact';

export const ContactPrivacySchema = defineEntity({
  name: 'ContactPrivacy',
  tableName: 'contact_privacy',
  schema: 'tickets',
  view: true,
  expression: CONTACT_PRIVACY_VIEW,
  properties: {
    id: p.uuid().primary(),
    erasedAt: p.datetime(3).nullable(),
    restricted: p.boolean(),
    limitSensitive: p.boolean(),
    consentGranted: p.smallint(),
    consentObjected: p.smallint(),
  },
});

export class ContactPrivacy extends ContactPrivacySchema.class {}
ContactPrivacySchema.setClass(ContactPrivacy);
