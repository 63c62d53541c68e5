import { type JobQueue, jobQueue } from '@custos/jobs';

/**
 * The subgraph's job queues (packages/jobs). A job is a trigger: its payload names a row, Custos' tables hold
 * the truth, and every handler is idempotent.
 * - `mail.deliver`: sends one outbox row (mail/mail.jobs.ts); retried with backoff, then a dead letter that
 *   compliance lists and re-drives (`deadLetters`, `redriveDeadLetter`).
 * - `consent.submission`: acts on one public form's post (consent/consent.submissions.ts): looks the email up,
 *   records a refusal or withdrawal, or mails a grant for confirmation.
 */
export const SUBGRAPH_QUEUES = {
  'mail.deliver': jobQueue<{ outboxId: string }>(),
  'consent.submission': jobQueue<{ submissionId: string }>(),
};

export type SubgraphQueues = typeof SUBGRAPH_QUEUES;
export type SubgraphJobs = JobQueue<SubgraphQueues>;
export type QueueName = keyof SubgraphQueues & string;

export const QUEUE_NAMES = Object.keys(SUBGRAPH_QUEUES) as QueueName[];

export function isQueueName(value: string): value is QueueName {
  return Object.hasOwn(SUBGRAPH_QUEUES, value);
}
