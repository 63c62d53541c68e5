import { MAIL_OUTBOX_DDL } from '@custos/mail';
import { Migration } from '@mikro-orm/migrations';

/**
 * The mail outbox (`mail_outbox`, packages/mail/src/outbox.ts): a message to a data subject is inserted in the
 * same transaction as the event that causes it (a consent waiting for confirmation, later a request's answer)
 * and delivered by a job, which records sent or failed with the message id. The statements are the package's
 * own (`MAIL_OUTBOX_DDL`, which its tests create the table from), frozen as this migration ran them.
 */
export class Migration20261207000000MailOutbox extends Migration {
  override name = 'Migration20261207000000MailOutbox';

  override up(): void {
    for (const statement of MAIL_OUTBOX_DDL) this.addSql(statement);
  }

  override down(): void {
    this.addSql('drop table if exists mail_outbox;');
  }
}
