import { defineEntity, p } from '@mikro-orm/core';
import { Contact } from '../contacts/contact.entity.js';

// The double opt-in's tables (migration Migration20261208000000ConsentConfirmation), described here so that the
// schema has one description (the schema test compares the two). Written and read with SQL by
// consent.submissions.ts and consent.confirmations.ts, never through these entities.

/** A public form's post, kept until its job has looked the email up (then deleted in the same transaction). */
export const ConsentSubmissionSchema = defineEntity({
  name: 'ConsentSubmission',
  tableName: 'consent_submission',
  properties: {
    id: p.uuid().primary(),
    email: p.string().length(254),
    purpose: p.string().length(32),
    status: p.enum(['GRANTED', 'DENIED', 'WITHDRAWN'] as const).columnType('varchar(16)'),
    noticeVersion: p.string().length(32).nullable(),
    source: p.string().length(200).nullable(),
    userAgent: p.string().length(500).nullable(),
    ipHmac: p.string().columnType('char(64)').nullable(),
    gpc: p.boolean().default(false),
    receivedAt: p.datetime(3),
    /** The HTTP request's id: the audit event the job writes names the request it came from. */
    requestId: p.string().length(100).nullable(),
  },
});
export class ConsentSubmission extends ConsentSubmissionSchema.class {}
ConsentSubmissionSchema.setClass(ConsentSubmission);

/** A grant waiting for the person to open the single-use link mailed to them. */
export const ConsentConfirmationSchema = defineEntity({
  name: 'ConsentConfirmation',
  tableName: 'consent_confirmation',
  indexes: [
    {
      name: 'consent_confirmation_pending_idx',
      expression:
        "create index consent_confirmation_pending_idx on consent_confirmation (contact_id, purpose) where state = 'pending'",
    },
  ],
  properties: {
    id: p.uuid().primary(),
    contact: () => p.manyToOne(Contact).mapToPk().updateRule('cascade').deleteRule('cascade'),
    purpose: p.string().length(32),
    noticeVersion: p.string().length(32),
    source: p.string().length(200).nullable(),
    userAgent: p.string().length(500).nullable(),
    ipHmac: p.string().columnType('char(64)').nullable(),
    requestedAt: p.datetime(3),
    expiresAt: p.datetime(3),
    tokenHash: p.string().columnType('char(64)'),
    attempts: p.integer().default(0),
    state: p
      .enum(['pending', 'confirmed', 'cancelled', 'locked'] as const)
      .columnType('varchar(16)')
      .default('pending'),
    outboxId: p.uuid().nullable(),
    eventId: p.uuid().nullable(),
    confirmedAt: p.datetime(3).nullable(),
  },
});
export class ConsentConfirmation extends ConsentConfirmationSchema.class {}
ConsentConfirmationSchema.setClass(ConsentConfirmation);
