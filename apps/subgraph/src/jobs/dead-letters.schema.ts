import type { DeadLetter } from '@custos/jobs';
import { decodeCursor, isUuid, pageSize, ValidationError } from '@custos/runtime';
import type { Context } from '../context.js';
import { builder } from '../schema/builder.js';
import { connectionType } from '../schema/connection.js';
import { isQueueName, QUEUE_NAMES } from './queues.js';

// The job queue's dead letters: jobs that failed their last retry (a message to a data subject never sent).
// Compliance's alone (packages/policy, operations), audited like every operation; a dead letter shows its queue,
// attempts and the class of its last error — never its payload (ids of rows) nor an error's message.

const DeadLetterRef = builder.objectRef<DeadLetter>('DeadLetter').implement({
  description: 'A job that failed its last retry, waiting to be re-driven (kept JOBS_DEAD_LETTER_DAYS).',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'What `redriveDeadLetter` takes.' }),
    queue: t.exposeString('queue', { description: 'The queue the job failed on, e.g. mail.deliver.' }),
    jobId: t.exposeID('jobId', { nullable: true, description: 'The id the job had in its queue.' }),
    attempts: t.exposeInt('attempts', { description: 'The first run and every retry.' }),
    errorName: t.exposeString('errorName', {
      nullable: true,
      description:
        "The last error's name (ECONNECTION, MailBusy…), or JobExpired, HeartbeatLost, Shutdown; never a message.",
    }),
    deadLetteredAt: t.exposeString('deadLetteredAt', { description: 'ISO 8601, microseconds.' }),
  }),
});
const DeadLetterConnection = connectionType('DeadLetter', DeadLetterRef);

const isDeadLetterKey = (key: string) => isUuid(key);

builder.queryFields((t) => ({
  deadLetters: t.field({
    type: DeadLetterConnection,
    description: 'Jobs that failed their last retry, newest first; `queue` narrows to one queue.',
    args: {
      first: t.arg.int({ defaultValue: 50 }),
      after: t.arg.string(),
      queue: t.arg.string({ description: `One of: ${QUEUE_NAMES.join(', ')}.` }),
    },
    resolve: (_root, args, ctx: Context) => {
      const { queue } = args;
      if (queue !== null && queue !== undefined && !isQueueName(queue)) {
        throw new ValidationError([
          { field: 'queue', rule: 'oneOf', message: `must be one of ${QUEUE_NAMES.join(', ')}` },
        ]);
      }
      const first = pageSize('first', args.first);
      const after = decodeCursor('after', args.after, isDeadLetterKey);
      return ctx.jobs.deadLetters({
        first,
        ...(after ? { after } : {}),
        ...(queue ? { queue } : {}),
      });
    },
  }),
}));

builder.mutationFields((t) => ({
  redriveDeadLetter: t.boolean({
    description:
      'Sends a dead letter back to its queue as a new job with fresh retries; false when there is no such dead ' +
      'letter (already re-driven, or expired). Handlers are idempotent: a message already sent is not sent again.',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx: Context) => {
      const id = String(args.id);
      if (!isUuid(id)) {
        throw new ValidationError([
          { field: 'id', rule: 'uuid', message: 'must be a dead letter id (a UUID)' },
        ]);
      }
      return ctx.jobs.redrive(id);
    },
  }),
}));
