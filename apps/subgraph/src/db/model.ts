import type { Model } from '@custos/database';
import { AUDIT_ENTITIES } from '../audit/audit.entity.js';
import { Company } from '../companies/company.entity.js';
import { ConsentConfirmation, ConsentSubmission } from '../consent/confirmation.entity.js';
import { ConsentEvent, ConsentEvidence, PrivacyNotice } from '../consent/consent-event.entity.js';
import { ConsentState } from '../consent/consent-state.entity.js';
import { RateLimitBucket } from '../consent/rate-limit.entity.js';
import { Contact } from '../contacts/contact.entity.js';
import { ContactDuplicate } from '../duplicates/duplicate.entity.js';
import { Interaction } from '../interactions/interaction.entity.js';
import { MailOutbox } from '../mail/mail-outbox.entity.js';
import { CUSTOS_GRANTS } from './grants.js';
import { migrations } from './migrations/index.js';

/** The Custos subgraph's model: its entities, migrations and grants in schema `public` (packages/database sets it up). */
export const CUSTOS_MODEL: Model = {
  entities: [
    Company,
    Contact,
    Interaction,
    ConsentState,
    ContactDuplicate,
    PrivacyNotice,
    ConsentEvent,
    ConsentEvidence,
    ConsentSubmission,
    ConsentConfirmation,
    ...AUDIT_ENTITIES,
    MailOutbox,
    RateLimitBucket,
  ],
  migrations,
  migrationsTable: 'mikro_orm_migrations',
  grants: CUSTOS_GRANTS,
};
