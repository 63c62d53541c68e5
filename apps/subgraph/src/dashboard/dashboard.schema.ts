import type { Context } from '../context.js';
import { builder } from '../schema/builder.js';
import {
  type AlertRuleCount,
  type AlertSummary,
  alertSummary,
  type ConsentRates,
  type ConsentTrend,
  consentRates,
  consentTrend,
  type DuplicateReviewSummary,
  duplicateReviewSummary,
  MAX_RANGE_DAYS,
  type PurposeRate,
  REVIEW_AGES,
  type ReviewAge,
  TREND_BUCKETS,
  type TrendPoint,
} from './dashboard.queries.js';
import type { AggregateCount } from './suppression.js';

// The console's dashboard: aggregates computed here, never over rows sent to a browser. Which purposes may run
// them is the policy's (packages/policy, operations: compliance and administration); each answer is about no one.

const AggregateCountRef = builder.objectRef<AggregateCount>('AggregateCount').implement({
  description:
    'A count of people or of their choices. Between 1 and AGGREGATE_MIN_CELL - 1 it is withheld (small-cell ' +
    'suppression), and so is a count that would let a withheld one be computed back: `value` is then null and ' +
    '`suppressed` true. A client shows "fewer than `fewerThan`" when that is set, else "withheld".',
  fields: (t) => ({
    value: t.exposeInt('value', { nullable: true, description: 'The count; null when withheld.' }),
    suppressed: t.exposeBoolean('suppressed'),
    fewerThan: t.exposeInt('fewerThan', {
      nullable: true,
      description:
        'Set on a withheld count known to be below it (a day of consentTrend). Null on a withheld count that may ' +
        'have been withheld to protect another (a month, consentRates): which ones are small is not told.',
    }),
  }),
});

const ConsentTrendBucket = builder.enumType('ConsentTrendBucket', {
  description:
    'Calendar buckets in UTC. Months are whole days, so that a month and its days cannot be subtracted to ' +
    'isolate a withheld day.',
  values: TREND_BUCKETS,
});

const ConsentTrendPointRef = builder.objectRef<TrendPoint>('ConsentTrendPoint').implement({
  description: 'Ledger events of one purpose recorded in one bucket, per status.',
  fields: (t) => ({
    start: t.field({ type: 'DateTime', resolve: (point) => point.start.toISOString() }),
    purpose: t.exposeString('purpose'),
    granted: t.field({ type: AggregateCountRef, resolve: (row) => row.granted }),
    denied: t.field({ type: AggregateCountRef, resolve: (row) => row.denied }),
    withdrawn: t.field({ type: AggregateCountRef, resolve: (row) => row.withdrawn }),
    objected: t.field({ type: AggregateCountRef, resolve: (row) => row.objected }),
  }),
});

const ConsentTrendRef = builder.objectRef<ConsentTrend>('ConsentTrend').implement({
  fields: (t) => ({
    bucket: t.field({ type: ConsentTrendBucket, resolve: (trend) => trend.bucket }),
    from: t.field({
      type: 'DateTime',
      description: 'Start of the first bucket (`from` rounded down to a bucket).',
      resolve: (trend) => trend.from.toISOString(),
    }),
    to: t.field({
      type: 'DateTime',
      description:
        'End of the last bucket answered: `to` rounded up to a bucket, and never past the last complete one.',
      resolve: (trend) => trend.to.toISOString(),
    }),
    minimumCell: t.exposeInt('minimumCell', { description: 'AGGREGATE_MIN_CELL.' }),
    points: t.field({
      type: [ConsentTrendPointRef],
      description: 'One per bucket and purpose, oldest first, zeros included.',
      resolve: (trend) => trend.points,
    }),
  }),
});

const PurposeConsentRateRef = builder.objectRef<PurposeRate>('PurposeConsentRate').implement({
  description:
    'Live contacts by their current status for one purpose; the five counts add up to the live contacts, so a ' +
    'withheld one may take another with it.',
  fields: (t) => ({
    purpose: t.exposeString('purpose'),
    granted: t.field({ type: AggregateCountRef, resolve: (row) => row.granted }),
    denied: t.field({ type: AggregateCountRef, resolve: (row) => row.denied }),
    withdrawn: t.field({ type: AggregateCountRef, resolve: (row) => row.withdrawn }),
    objected: t.field({ type: AggregateCountRef, resolve: (row) => row.objected }),
    noAnswer: t.field({
      type: AggregateCountRef,
      description: 'Live contacts with no status recorded for the purpose.',
      resolve: (rate) => rate.noAnswer,
    }),
    grantedShare: t.exposeFloat('grantedShare', {
      nullable: true,
      description: 'granted / live contacts, from 0 to 1; null when either is withheld.',
    }),
  }),
});

const ConsentRatesRef = builder.objectRef<ConsentRates>('ConsentRates').implement({
  fields: (t) => ({
    minimumCell: t.exposeInt('minimumCell', { description: 'AGGREGATE_MIN_CELL.' }),
    liveContacts: t.field({
      type: AggregateCountRef,
      description: 'Contacts not erased.',
      resolve: (rates) => rates.liveContacts,
    }),
    purposes: t.field({ type: [PurposeConsentRateRef], resolve: (rates) => rates.purposes }),
  }),
});

const AlertRuleCountRef = builder.objectRef<AlertRuleCount>('AlertRuleCount').implement({
  description: "One monitoring rule's alerts by state.",
  fields: (t) => ({
    ruleId: t.exposeString('ruleId'),
    kind: t.exposeString('kind'),
    open: t.exposeInt('open'),
    acknowledged: t.exposeInt('acknowledged'),
  }),
});

const AlertSummaryRef = builder.objectRef<AlertSummary>('AlertSummary').implement({
  fields: (t) => ({
    open: t.exposeInt('open'),
    acknowledged: t.exposeInt('acknowledged'),
    rules: t.field({
      type: [AlertRuleCountRef],
      description: 'Every rule, and any rule since removed that still has alerts, by id.',
      resolve: (summary) => summary.rules,
    }),
  }),
});

const DuplicateReviewAge = builder.enumType('DuplicateReviewAge', { values: REVIEW_AGES });

const DuplicateReviewAgeCountRef = builder
  .objectRef<{ age: ReviewAge; open: number }>('DuplicateReviewAgeCount')
  .implement({
    fields: (t) => ({
      age: t.field({ type: DuplicateReviewAge, resolve: (row) => row.age }),
      open: t.exposeInt('open'),
    }),
  });

const DuplicateReviewSummaryRef = builder
  .objectRef<DuplicateReviewSummary>('DuplicateReviewSummary')
  .implement({
    fields: (t) => ({
      open: t.exposeInt('open'),
      byAge: t.field({
        type: [DuplicateReviewAgeCountRef],
        description: 'Open reviews by how long they have waited, youngest first.',
        resolve: (summary) => summary.byAge,
      }),
    }),
  });

builder.queryFields((t) => ({
  consentTrend: t.field({
    type: ConsentTrendRef,
    description:
      'Consent ledger events per bucket, purpose and status, by when they were recorded; counts go through ' +
      `small-cell suppression. \`to\` defaults to now, \`from\` to 30 days (DAY) or 12 months (MONTH) before it; at most ${MAX_RANGE_DAYS} days. ` +
      'Only complete buckets are answered, from 15 minutes after they end.',
    args: {
      purpose: t.arg.string({
        description: 'One purpose the ledger holds events for; all of them when absent.',
      }),
      from: t.arg({ type: 'DateTime' }),
      to: t.arg({ type: 'DateTime' }),
      bucket: t.arg({ type: ConsentTrendBucket, defaultValue: 'MONTH' }),
    },
    resolve: (_root, args, ctx: Context) =>
      consentTrend(
        ctx.em,
        { purpose: args.purpose, from: args.from, to: args.to, bucket: args.bucket },
        ctx.now,
        ctx.aggregateMinCell,
      ),
  }),
  consentRates: t.field({
    type: ConsentRatesRef,
    description:
      'Where live contacts stand now, per purpose the ledger holds events for; counts go through small-cell ' +
      'suppression.',
    resolve: (_root, _args, ctx: Context) => consentRates(ctx.em, ctx.aggregateMinCell),
  }),
  alertSummary: t.field({
    type: AlertSummaryRef,
    description: 'Audit alerts counted by monitoring rule and state.',
    resolve: (_root, _args, ctx: Context) => alertSummary(ctx.em),
  }),
  duplicateReviewSummary: t.field({
    type: DuplicateReviewSummaryRef,
    description: 'Open duplicate-email reviews, by age.',
    resolve: (_root, _args, ctx: Context) => duplicateReviewSummary(ctx.em, ctx.now),
  }),
}));
