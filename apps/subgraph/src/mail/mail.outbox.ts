import { query } from '@custos/database';
import { enqueueMail, type MailMessage, type TemplateName } from '@custos/mail';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { SubgraphJobs } from '../jobs/queues.js';

/**
 * Writes `message` to the outbox and sends its `mail.deliver` job, both on `em`'s transaction (call it inside
 * `em.transactional`): the message and its job exist if and only if the cause commits. Returns the outbox id.
 */
export async function queueMail<N extends TemplateName>(
  em: EntityManager,
  jobs: SubgraphJobs,
  message: MailMessage<N>,
): Promise<string> {
  const outboxId = await enqueueMail((sql, params) => query(em, sql, params), message);
  await jobs.send(
    'mail.deliver',
    { outboxId },
    { db: { executeSql: async (text, values) => ({ rows: await query(em, text, values ?? []) }) } },
  );
  return outboxId;
}
