import type { JobsConfig } from './config.js';
import type { JobPayload } from './payload.js';

/** A queue's own retry and expiry settings; what it leaves out comes from the JOBS_* settings. */
export interface QueueSettings {
  readonly retryLimit?: number;
  readonly retryDelaySeconds?: number;
  readonly retryDelayMaxSeconds?: number;
  readonly expireSeconds?: number;
  /** 0: no heartbeat (a killed worker's job is retried after expiry only). */
  readonly heartbeatSeconds?: number;
}

/** A queue: its settings, and (as a type only) the payload its jobs carry. */
export interface QueueDefinition<P extends JobPayload = JobPayload> {
  readonly settings: QueueSettings;
  /** Never set: carries the payload type from the definition to `send` and `work`. */
  readonly payload?: P;
}

/** The queues a service uses, by name: `{ 'mail.send': jobQueue<{ outboxId: string }>() }`. */
export type QueueMap = Readonly<Record<string, QueueDefinition>>;

export type PayloadOf<D> = D extends QueueDefinition<infer P> ? P : never;

/** Declares a queue whose jobs carry payloads of type `P` (ids and triggers only: payload.ts). */
export function jobQueue<P extends JobPayload>(settings: QueueSettings = {}): QueueDefinition<P> {
  return { settings };
}

/** Where a queue's jobs go after their last retry. */
export const DEAD_LETTER_SUFFIX = '.dead';
export const deadLetterQueue = (queue: string): string => `${queue}${DEAD_LETTER_SUFFIX}`;

const QUEUE_NAME = /^[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)*$/;

/** Refuses names pg-boss would refuse, or that take a dead-letter queue's name. */
export function checkQueueNames(queues: QueueMap): string[] {
  const names = Object.keys(queues);
  for (const name of names) {
    if (!QUEUE_NAME.test(name) || name.length > 100) {
      throw new Error(`queue ${JSON.stringify(name)}: a name is lower-case letters, digits, _ - and dots`);
    }
    if (name.endsWith(DEAD_LETTER_SUFFIX)) {
      throw new Error(`queue ${name}: names ending in ${DEAD_LETTER_SUFFIX} are the dead-letter queues'`);
    }
  }
  return names;
}

/** pg-boss' options for a queue: the queue's own settings over the JOBS_* ones, with its dead-letter queue. */
export function queueOptions(name: string, settings: QueueSettings, config: JobsConfig) {
  const heartbeat = settings.heartbeatSeconds ?? config.heartbeatSeconds;
  return {
    retryLimit: settings.retryLimit ?? config.retryLimit,
    retryDelay: settings.retryDelaySeconds ?? config.retryDelaySeconds,
    retryBackoff: true,
    retryDelayMax: settings.retryDelayMaxSeconds ?? config.retryDelayMaxSeconds,
    expireInSeconds: settings.expireSeconds ?? config.expireSeconds,
    heartbeatSeconds: heartbeat > 0 ? heartbeat : null,
    // A job is kept a day after it completed (its id links to a person's rows): enough to trace a run.
    deleteAfterSeconds: 86_400,
    deadLetter: deadLetterQueue(name),
  };
}

/** pg-boss' options for a dead-letter queue: nothing works it; it keeps its jobs for JOBS_DEAD_LETTER_DAYS. */
export function deadLetterOptions(config: JobsConfig) {
  const seconds = config.deadLetterDays * 86_400;
  return { retryLimit: 0, retentionSeconds: seconds, deleteAfterSeconds: seconds };
}
