import { clientDb, type JobHandler, PermanentJobError } from '@custos/jobs';
import { deliver, type MailTransport } from '@custos/mail';
import type { Logger } from '@custos/runtime';
import type pg from 'pg';
import type { SubgraphJobs } from '../jobs/queues.js';

/**
 * A delivery that must be tried again: its name is the transport's error (`ECONNECTION`, `EENVELOPE`…) or
 * `MailBusy`, and that name alone is what the job queue keeps and compliance sees on a dead letter.
 */
class MailNotSent extends Error {
  constructor(name: string) {
    super('the message was not sent');
    this.name = /^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(name) ? name : 'MailNotSent';
  }
}

/**
 * `mail.deliver`: sends one outbox row (packages/mail `deliver`, idempotent: a row already sent is not sent
 * again). Throws — so that the queue retries with backoff and, after its last retry, dead-letters it — when
 * another worker holds the row (`busy`) or the send failed. A permanent failure (a 5xx reply, a message that no
 * longer validates: `ValidationError`) would fail the same way again: it gives up at once (PermanentJobError),
 * and the job is a dead letter after this one attempt, named by the error. A row that no longer exists (erased)
 * ends the job.
 */
export function mailDeliveryHandler(
  pool: pg.Pool,
  transport: MailTransport,
  logger: Logger,
  /** MAIL_LEASE_SECONDS: how long a claim on a row holds before a retry may take it over (its worker died). */
  leaseMs: number,
): JobHandler<{ outboxId: string }> {
  return async ({ outboxId }) => {
    const result = await deliver(pool, outboxId, transport, { logger, leaseMs });
    if (result.outcome === 'busy') throw new MailNotSent('MailBusy');
    if (result.outcome === 'failed') {
      throw result.permanent ? new PermanentJobError(result.error) : new MailNotSent(result.error);
    }
  };
}

/**
 * The outbox's part of the periodic sweep (jobs/sweep.ts, which holds the sweep's lock and the transaction `client`
 * is in): re-enqueues outbox rows never tried (`queued`: their job was lost, say between a commit and an enqueue
 * made outside its transaction) that have no live job: neither waiting, retrying nor running in `mail.deliver`,
 * nor a dead letter waiting for compliance (a sweep never re-drives what compliance should see). A row that was
 * tried has had its job, and its retries and dead letter are the queue's. Rows younger than `graceSeconds` are left
 * to the transaction that wrote them. Returns how many were enqueued.
 */
export async function requeueUntriedMail(
  client: pg.ClientBase,
  jobs: SubgraphJobs,
  graceSeconds: number,
  limit = 500,
): Promise<number> {
  const { rows } = await client.query<{ id: string }>(
    `select o.id from mail_outbox o
      where o.status = 'queued' and o.created_at < clock_timestamp() - make_interval(secs => $1::float8)
        and not exists (select 1 from pgboss.job j
          where j.name = any($2::text[]) and j.state < 'completed' and j.data ->> 'outboxId' = o.id::text)
      order by o.created_at, o.id limit $3`,
    [graceSeconds, ['mail.deliver', 'mail.deliver.dead'], limit],
  );
  const db = clientDb(client);
  for (const { id } of rows) await jobs.send('mail.deliver', { outboxId: id }, { db });
  return rows.length;
}
