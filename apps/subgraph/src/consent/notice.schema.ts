import { builder } from '../schema/builder.js';
import { connectionType } from '../schema/connection.js';
import {
  findPrivacyNotice,
  listPrivacyNotices,
  MAX_NOTICE_TEXT,
  type PrivacyNoticeRow,
  publishPrivacyNotice,
} from './notice.service.js';

const PrivacyNoticeRef = builder.objectRef<PrivacyNoticeRow>('PrivacyNotice').implement({
  description:
    'A published version of the privacy notice (Art 13, CCPA notice at collection). A consent names the version the person saw; a published version is never edited.',
  fields: (t) => ({
    version: t.exposeString('version'),
    text: t.exposeString('text'),
    textSha256: t.exposeString('textSha256', { description: 'SHA-256 (hex) of `text` as UTF-8.' }),
    publishedAt: t.expose('publishedAt', { type: 'DateTime' }),
  }),
});

const PrivacyNoticeConnection = connectionType('PrivacyNotice', PrivacyNoticeRef);

const PublishPrivacyNoticeInput = builder.inputType('PublishPrivacyNoticeInput', {
  fields: (t) => ({
    version: t.string({
      required: true,
      description: '1 to 32 letters, digits, dots, dashes or underscores, e.g. 2026-07.',
    }),
    text: t.string({
      required: true,
      description: `The notice as people see it, at most ${MAX_NOTICE_TEXT} characters.`,
    }),
    publishedAt: t.field({ type: 'DateTime', description: 'Defaults to now; never in the future.' }),
  }),
});

builder.queryFields((t) => ({
  privacyNotices: t.field({
    type: PrivacyNoticeConnection,
    description: 'Published privacy notices, newest first. `first` is at most 500.',
    args: { first: t.arg.int({ defaultValue: 50 }), after: t.arg.string() },
    resolve: (_root, args, ctx) => listPrivacyNotices(ctx.em, { first: args.first, after: args.after }),
  }),
  privacyNotice: t.field({
    type: PrivacyNoticeRef,
    nullable: true,
    description: 'One published notice by version; null when no such version was published.',
    args: { version: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) => findPrivacyNotice(ctx.em, args.version),
  }),
}));

builder.mutationFields((t) => ({
  publishPrivacyNotice: t.field({
    type: PrivacyNoticeRef,
    nullable: true,
    description:
      'Publishes a new notice version and the SHA-256 of its text. CONFLICT when the version exists: publish a new version instead of editing one.',
    args: { input: t.arg({ type: PublishPrivacyNoticeInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const version = await publishPrivacyNotice(
        ctx.em,
        { version: input.version, text: input.text, publishedAt: input.publishedAt ?? null },
        ctx.now,
      );
      return findPrivacyNotice(ctx.em, version);
    },
  }),
}));
