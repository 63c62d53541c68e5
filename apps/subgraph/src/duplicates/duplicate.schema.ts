import { ContactRef } from '../contacts/contact.ref.js';
import { builder } from '../schema/builder.js';
import { connectionType } from '../schema/connection.js';
import {
  DUPLICATE_STATUSES,
  type DuplicateRow,
  findDuplicatesByIds,
  listDuplicates,
} from './duplicate.queries.js';
import { resolveDuplicate } from './duplicate.service.js';

const DuplicateResolution = builder.enumType('DuplicateResolution', {
  values: {
    DISTINCT_PEOPLE: { description: 'Two people share the address (a shared mailbox, say): both stay.' },
    SAME_PERSON: {
      description:
        'One person twice: the officer merges or erases with the ordinary tools, then closes the review.',
    },
  },
});
const DuplicateStatus = builder.enumType('DuplicateStatus', { values: DUPLICATE_STATUSES });

const ContactDuplicateRef = builder.objectRef<DuplicateRow>('ContactDuplicate').implement({
  // A pair of people who share an address: reaching the pair reaches both.
  extensions: { auditSubject: (row: DuplicateRow) => [row.contactId, row.existingContactId] },
  description:
    'A contact written with the email of a contact its writer could not see. The writer was not told ' +
    '(that would reveal the hidden person); a privacy officer reviews the pair here.',
  fields: (t) => ({
    id: t.exposeID('id'),
    contact: t.field({
      type: ContactRef,
      nullable: true,
      description: 'The contact that was written.',
      resolve: (row, _args, ctx) => ctx.loaders.contact.load(row.contactId),
    }),
    existingContact: t.field({
      type: ContactRef,
      nullable: true,
      description: 'The contact that already had the email.',
      resolve: (row, _args, ctx) => ctx.loaders.contact.load(row.existingContactId),
    }),
    detectedForPurpose: t.exposeString('detectedForPurpose', {
      description: 'The purpose the write was made for.',
    }),
    detectedAt: t.expose('detectedAt', { type: 'DateTime' }),
    resolution: t.expose('resolution', { type: DuplicateResolution, nullable: true }),
    resolvedAt: t.expose('resolvedAt', { type: 'DateTime', nullable: true }),
  }),
});

const ContactDuplicateConnection = connectionType('ContactDuplicate', ContactDuplicateRef);

builder.queryFields((t) => ({
  contactDuplicates: t.field({
    type: ContactDuplicateConnection,
    description: 'The duplicate-email review queue, oldest first. `first` is at most 500.',
    args: {
      first: t.arg.int({ defaultValue: 50 }),
      after: t.arg.string(),
      status: t.arg({ type: DuplicateStatus, defaultValue: 'OPEN' }),
    },
    resolve: (_root, args, ctx) =>
      listDuplicates(ctx.em, { first: args.first, after: args.after, status: args.status ?? 'OPEN' }),
  }),
}));

builder.mutationFields((t) => ({
  resolveContactDuplicate: t.field({
    type: ContactDuplicateRef,
    nullable: true,
    description: 'Closes a review. CONFLICT when it was already closed.',
    args: {
      id: t.arg.id({ required: true }),
      resolution: t.arg({ type: DuplicateResolution, required: true }),
    },
    resolve: async (_root, args, ctx) => {
      const id = await resolveDuplicate(ctx.em, String(args.id), args.resolution, ctx.now);
      const [row] = await findDuplicatesByIds(ctx.em, [id]);
      return row ?? null;
    },
  }),
}));
