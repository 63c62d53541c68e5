import { defineEntity, p } from '@mikro-orm/core';

/**
 * The mail outbox (packages/mail, `MAIL_OUTBOX_DDL`; migration Migration20261207000000MailOutbox), described
 * here only so that the schema has one description (the schema test compares the two). Rows are written and
 * delivered with SQL by packages/mail (`enqueueMail`, `deliver`), never through this entity.
 */
export const MailOutboxSchema = defineEntity({
  name: 'MailOutbox',
  tableName: 'mail_outbox',
  indexes: [
    {
      name: 'mail_outbox_unsent_idx',
      expression:
        "create index mail_outbox_unsent_idx on mail_outbox (created_at, id) where status <> 'sent'",
    },
  ],
  properties: {
    id: p.uuid().primary(),
    template: p.string().length(64),
    recipient: p.string().length(254),
    subject: p.string().length(998),
    params: p.json(),
    status: p
      .enum(['queued', 'sending', 'sent', 'failed'] as const)
      .columnType('varchar(16)')
      .default('queued'),
    attempts: p.integer().default(0),
    transportMessageId: p.string().length(255).nullable(),
    serverMessageId: p.string().length(255).nullable(),
    lastError: p.string().length(64).nullable(),
    createdAt: p.datetime(3),
    claimedAt: p.datetime(3).nullable(),
    sentAt: p.datetime(3).nullable(),
  },
});
export class MailOutbox extends MailOutboxSchema.class {}
MailOutboxSchema.setClass(MailOutbox);
