import {
  describeAccess,
  type FieldAccess,
  POLICY_VERSION,
  PURPOSE_DEFINITIONS,
  PURPOSES,
  type Purpose,
  type PurposeAccess,
  purposeCategories,
  REDACTION_REASONS,
} from '@custos/policy';
import { builder } from '../schema/builder.js';

const RedactionReason = builder.enumType('RedactionReason', {
  description: 'Why a personal field comes back null (DESIGN.md order, highest first).',
  values: REDACTION_REASONS,
});

const FieldVisibility = builder.enumType('FieldVisibility', {
  values: {
    ALWAYS: { value: 'always', description: 'Shown on every row the purpose sees.' },
    DEPENDS: {
      value: 'depends',
      description: "Shown unless the contact's state hides it (restriction, CCPA limit).",
    },
    NEVER: { value: 'never', description: 'Always null for this purpose.' },
  } as const,
});

const FieldAccessRef = builder.objectRef<FieldAccess>('FieldAccess').implement({
  fields: (t) => ({
    field: t.exposeString('field', { description: 'Schema coordinate, e.g. Contact.email.' }),
    category: t.exposeString('category', { description: 'fideslang data category.' }),
    special: t.exposeBoolean('special', { description: 'A special category of personal data (GDPR Art 9).' }),
    visibility: t.field({ type: FieldVisibility, resolve: (f) => f.visibility }),
    reason: t.field({ type: RedactionReason, nullable: true, resolve: (f) => f.reason }),
  }),
});

const AccessRef = builder.objectRef<PurposeAccess>('Access').implement({
  description: 'What the declared purpose may run and see, straight from the policy.',
  fields: (t) => ({
    purpose: t.exposeString('purpose'),
    lawfulBasis: t.exposeString('lawfulBasis'),
    description: t.exposeString('description'),
    policyVersion: t.string({ resolve: () => POLICY_VERSION }),
    operations: t.stringList({
      description: 'Queries and mutations this purpose may run (e.g. Query.contacts).',
      resolve: (a) => [...a.operations],
    }),
    fields: t.field({ type: [FieldAccessRef], resolve: (a) => [...a.fields] }),
  }),
});

const ProcessingPurposeRef = builder.objectRef<Purpose>('ProcessingPurpose').implement({
  description: 'A purpose of processing as the policy defines it (GDPR Art 13(1)(c), Art 30(1)(b)-(c)).',
  fields: (t) => ({
    name: t.string({ description: 'What a caller declares in X-Purpose.', resolve: (p) => p }),
    lawfulBasis: t.string({
      description: 'consent, contract, legal_obligation or legitimate_interest (Art 6(1)).',
      resolve: (p) => PURPOSE_DEFINITIONS[p].lawfulBasis,
    }),
    description: t.string({ resolve: (p) => PURPOSE_DEFINITIONS[p].description }),
    categories: t.stringList({
      description: 'fideslang data categories of the personal fields this purpose may see.',
      resolve: (p) => purposeCategories(p),
    }),
  }),
});

builder.queryFields((t) => ({
  purposes: t.field({
    type: [ProcessingPurposeRef],
    description: 'Every purpose of processing of the policy, with its lawful basis and data categories.',
    resolve: () => [...PURPOSES],
  }),
  myAccess: t.field({
    type: AccessRef,
    description:
      'For the declared purpose: the operations it may run and each personal field it will get or not, and why.',
    resolve: (_root, _args, ctx) => describeAccess(ctx.principal.purpose),
  }),
  policyVersion: t.string({
    description: 'The version of the privacy policy answering this request; stamped on recorded decisions.',
    resolve: () => POLICY_VERSION,
  }),
}));
