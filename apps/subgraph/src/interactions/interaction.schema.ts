import { reloaded } from '@custos/database';
import { ContactRef } from '../contacts/contact.ref.js';
import { builder } from '../schema/builder.js';
import { INTERACTION_TYPES } from './interaction.entity.js';
import type { InteractionRow } from './interaction.queries.js';
import { InteractionRef } from './interaction.ref.js';
import { createInteraction, updateInteraction } from './interaction.service.js';

const InteractionType = builder.enumType('InteractionType', { values: INTERACTION_TYPES });

InteractionRef.implement({
  extensions: { auditSubject: (row: InteractionRow) => row.contactId },
  description: 'A call, email, meeting or note logged on a contact.',
  fields: (t) => ({
    id: t.exposeID('id'),
    type: t.field({ type: InteractionType, nullable: true, resolve: (i) => i.type }),
    subject: t.exposeString('subject', { nullable: true }),
    body: t.exposeString('body', {
      nullable: true,
      description: 'Free text about a person: personal data like the contact fields.',
    }),
    occurredAt: t.expose('occurredAt', { type: 'DateTime', nullable: true }),
    loggedBy: t.exposeString('loggedBy', {
      nullable: true,
      description: 'The agent (token subject) who logged it.',
    }),
    contact: t.field({
      type: ContactRef,
      nullable: true,
      resolve: (i, _args, ctx) => ctx.loaders.contact.load(i.contactId),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

const interactionInput = (required: boolean) =>
  builder.inputType(required ? 'CreateInteractionInput' : 'UpdateInteractionInput', {
    fields: (t) => ({
      ...(required ? { contactId: t.id({ required: true }) } : {}),
      type: t.field({ type: InteractionType, required }),
      subject: t.string({ required }),
      body: t.string(),
      occurredAt: t.field({ type: 'DateTime', description: 'When it happened; defaults to now.' }),
    }),
  });
const CreateInteractionInput = interactionInput(true);
const UpdateInteractionInput = interactionInput(false);

builder.queryFields((t) => ({
  interaction: t.field({
    type: InteractionRef,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => ctx.loaders.interaction.load(args.id),
  }),
}));

builder.mutationFields((t) => ({
  createInteraction: t.field({
    type: InteractionRef,
    nullable: true,
    args: { input: t.arg({ type: CreateInteractionInput, required: true }) },
    resolve: async (_root, args, ctx) =>
      reloaded(
        ctx.loaders.interaction,
        await createInteraction(ctx.em, ctx.principal.purpose, args.input, ctx.principal.sub, ctx.now),
      ),
  }),
  updateInteraction: t.field({
    type: InteractionRef,
    nullable: true,
    args: {
      id: t.arg.id({ required: true }),
      input: t.arg({ type: UpdateInteractionInput, required: true }),
    },
    resolve: async (_root, args, ctx) =>
      reloaded(
        ctx.loaders.interaction,
        await updateInteraction(ctx.em, ctx.principal.purpose, args.id, args.input, ctx.now),
      ),
  }),
}));
