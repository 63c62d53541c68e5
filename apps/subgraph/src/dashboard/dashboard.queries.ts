import { query } from '@custos/database';
import {
  CONSENT_STATUSES,
  type ConsentStatus,
  consentStatusProblem,
  PURPOSES,
  type Purpose,
} from '@custos/policy';
import { Validator } from '@custos/runtime';
import type { EntityManager } from '@mikro-orm/postgresql';
import {
  type AggregateCount,
  countCell,
  protectCoarse,
  protectPartition,
  shown,
  withheld,
} from './suppression.js';

/*
 * The dashboard's aggregates (issue 15): counts over the consent ledger, the audit alerts and the duplicate review
 * queue, computed in SQL — the console never aggregates rows it fetched. No answer names a person: counts of
 * people's choices go through small-cell suppression (suppression.ts); alerts and reviews are work queues counted
 * whole (their rows are the privacy officer's alone).
 */

/** The purposes the ledger can hold events for: some status may be recorded for them (policy, consent.ts). */
export const LEDGER_PURPOSES: readonly Purpose[] = PURPOSES.filter((purpose) =>
  CONSENT_STATUSES.some((status) => consentStatusProblem(purpose, status) === undefined),
);

/**
 * DAY and MONTH, in UTC: every month is a whole number of days, so the one rule of protectCoarse covers every
 * cell a caller can ask for. (Weeks straddle months: a week's and a month's cells together would isolate a part of
 * a week, which neither rule sees.)
 */
export const TREND_BUCKETS = ['DAY', 'MONTH'] as const;
export type TrendBucket = (typeof TREND_BUCKETS)[number];

/** At most this much history per question (two years and a day, for a leap year). */
export const MAX_RANGE_DAYS = 731;
const DAY_MS = 86_400_000;
/**
 * A bucket is published once it ended this long ago: a past bucket never changes (the ledger is append-only and
 * stamps `recorded_at` with the time of writing), while the one still filling would show, request after request,
 * each event as it arrives. The margin covers a transaction that stamped its event before the bucket ended and
 * committed after: a request (30 s at most) or a job's attempt (JOBS_EXPIRE_SECONDS, 900 by default).
 */
export const SETTLE_MS = 15 * 60_000;

const DEFAULT_SPAN: Record<TrendBucket, (to: Date) => Date> = {
  DAY: (to) => new Date(to.getTime() - 30 * DAY_MS),
  MONTH: (to) => new Date(Date.UTC(to.getUTCFullYear(), to.getUTCMonth() - 12, to.getUTCDate())),
};

const floorDay = (t: Date) => new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate()));
const floorMonth = (t: Date) => new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), 1));
const nextDay = (t: Date) => new Date(t.getTime() + DAY_MS);
const nextMonth = (t: Date) => new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth() + 1, 1));

const FLOOR: Record<TrendBucket, (t: Date) => Date> = { DAY: floorDay, MONTH: floorMonth };
const NEXT: Record<TrendBucket, (t: Date) => Date> = { DAY: nextDay, MONTH: nextMonth };

/** `t` rounded up to the start of a bucket. */
const ceil = (bucket: TrendBucket, t: Date) => {
  const floor = FLOOR[bucket](t);
  return floor.getTime() === t.getTime() ? floor : NEXT[bucket](floor);
};

export interface TrendArgs {
  readonly purpose?: string | null;
  readonly from?: Date | null;
  readonly to?: Date | null;
  readonly bucket?: TrendBucket | null;
}

export interface TrendPoint {
  readonly start: Date;
  readonly purpose: Purpose;
  readonly granted: AggregateCount;
  readonly denied: AggregateCount;
  readonly withdrawn: AggregateCount;
  readonly objected: AggregateCount;
}

export interface ConsentTrend {
  readonly bucket: TrendBucket;
  /** Start of the first bucket. */
  readonly from: Date;
  /** End (exclusive) of the last bucket published: never after the last complete one. */
  readonly to: Date;
  readonly minimumCell: number;
  readonly points: readonly TrendPoint[];
}

/** Checks the arguments: BAD_USER_INPUT naming the argument and the rule, never the value. */
export function trendWindow(args: TrendArgs, now: Date) {
  const v = new Validator();
  const bucket: TrendBucket = args.bucket ?? 'MONTH';
  if (!TREND_BUCKETS.includes(bucket))
    v.fail('bucket', 'one_of', `must be one of ${TREND_BUCKETS.join(', ')}`);
  const purpose = args.purpose ?? null;
  if (purpose !== null && !(LEDGER_PURPOSES as readonly string[]).includes(purpose)) {
    v.fail('purpose', 'one_of', `must be one of ${LEDGER_PURPOSES.join(', ')}`);
  }
  const to = args.to ?? now;
  const from = args.from ?? DEFAULT_SPAN[bucket](to);
  if (Number.isNaN(from.getTime())) v.fail('from', 'date_time', 'must be a date and time');
  if (Number.isNaN(to.getTime())) v.fail('to', 'date_time', 'must be a date and time');
  else if (from.getTime() >= to.getTime()) v.fail('to', 'after', 'must be after from');
  else if (to.getTime() - from.getTime() > MAX_RANGE_DAYS * DAY_MS) {
    v.fail('from', 'max_range', `must be at most ${MAX_RANGE_DAYS} days before to`);
  }
  v.done();
  // Buckets are the calendar's, whatever the arguments: a window shifted by a millisecond asks for the same cells,
  // so that two overlapping windows cannot be subtracted to isolate an instant.
  const start = FLOOR[bucket](from);
  const settled = FLOOR[bucket](new Date(now.getTime() - SETTLE_MS));
  const requestedEnd = ceil(bucket, to);
  const end = requestedEnd.getTime() < settled.getTime() ? requestedEnd : settled;
  return { bucket, purposes: purpose ? [purpose as Purpose] : LEDGER_PURPOSES, start, end };
}

type DayCounts = Map<string, number>;
const cellKey = (day: number, purpose: string, status: string) => `${day}|${purpose}|${status}`;

/** The ledger's events per UTC day, purpose and status over [start, end): one pass over consent_event. */
async function dailyCounts(
  em: EntityManager,
  purposes: readonly Purpose[],
  start: Date,
  end: Date,
): Promise<DayCounts> {
  const rows = await query<{ day: Date; purpose: string; status: string; n: number }>(
    em,
    `select date_trunc('day', e.recorded_at, 'UTC') as day, e.purpose, e.status, count(*)::int as n
       from consent_event e
      where e.recorded_at >= $1 and e.recorded_at < $2 and e.purpose = any($3)
      group by 1, 2, 3`,
    [start, end, purposes],
  );
  return new Map(rows.map((row) => [cellKey(new Date(row.day).getTime(), row.purpose, row.status), row.n]));
}

const STATUS_FIELDS: Record<ConsentStatus, 'granted' | 'denied' | 'withdrawn' | 'objected'> = {
  GRANTED: 'granted',
  DENIED: 'denied',
  WITHDRAWN: 'withdrawn',
  OBJECTED: 'objected',
};

/**
 * Ledger events per bucket, purpose and status (by the time they were recorded), every bucket and purpose listed
 * (zeros included). Events of erased contacts stay counted: an erasure must not change a past bucket, else the
 * difference would tell what the erased person did.
 */
export async function consentTrend(
  em: EntityManager,
  args: TrendArgs,
  now: Date,
  min: number,
): Promise<ConsentTrend> {
  const { bucket, purposes, start, end } = trendWindow(args, now);
  const points: TrendPoint[] = [];
  if (start.getTime() >= end.getTime()) return { bucket, from: start, to: start, minimumCell: min, points };
  const days = await dailyCounts(em, purposes, start, end);
  for (let at = start; at.getTime() < end.getTime(); at = NEXT[bucket](at)) {
    const dayStarts: number[] = [];
    for (let day = at; day.getTime() < NEXT[bucket](at).getTime(); day = nextDay(day)) {
      dayStarts.push(day.getTime());
    }
    for (const purpose of purposes) {
      const cells = Object.fromEntries(
        CONSENT_STATUSES.map((status) => {
          const fine = dayStarts.map((day) => days.get(cellKey(day, purpose, status)) ?? 0);
          const total = fine.reduce((a, b) => a + b, 0);
          const cell = bucket === 'DAY' ? countCell(total, min) : protectCoarse(total, fine, min);
          return [STATUS_FIELDS[status], cell];
        }),
      ) as Record<(typeof STATUS_FIELDS)[ConsentStatus], AggregateCount>;
      points.push({ start: at, purpose, ...cells });
    }
  }
  return { bucket, from: start, to: end, minimumCell: min, points };
}

export interface PurposeRate {
  readonly purpose: Purpose;
  readonly granted: AggregateCount;
  readonly denied: AggregateCount;
  readonly withdrawn: AggregateCount;
  readonly objected: AggregateCount;
  readonly noAnswer: AggregateCount;
  /** granted / live contacts, when both are shown. */
  readonly grantedShare: number | null;
}

export interface ConsentRates {
  readonly minimumCell: number;
  readonly liveContacts: AggregateCount;
  readonly purposes: readonly PurposeRate[];
}

/**
 * Where live contacts stand now, per ledger purpose: the current status (consent_state) of every contact not
 * erased, and those without one. Per purpose the five counts add up to the live contacts, so they are protected as
 * a partition (suppression.ts).
 */
export async function consentRates(em: EntityManager, min: number): Promise<ConsentRates> {
  const [live] = await query<{ n: number }>(
    em,
    'select count(*)::int as n from contact c where c.erased_at is null',
  );
  const rows = await query<{ purpose: string; status: string; n: number }>(
    em,
    `select s.purpose, s.status, count(*)::int as n
       from consent_state s join contact c on c.id = s.contact_id and c.erased_at is null
      where s.purpose = any($1)
      group by 1, 2`,
    [LEDGER_PURPOSES],
  );
  const liveCount = live?.n ?? 0;
  const count = (purpose: string, status: string) =>
    rows.find((row) => row.purpose === purpose && row.status === status)?.n ?? 0;
  let totalWithheld = false;
  const partitions = LEDGER_PURPOSES.map((purpose) => {
    const parts = CONSENT_STATUSES.map((status) => count(purpose, status));
    parts.push(liveCount - parts.reduce((a, b) => a + b, 0));
    const hidden = protectPartition(liveCount, parts, min);
    totalWithheld ||= hidden.total;
    return { purpose, parts, hidden: hidden.parts };
  });
  const purposes = partitions.map(({ purpose, parts, hidden }): PurposeRate => {
    const cell = (i: number) => (hidden[i] ? withheld(min, false) : shown(parts[i]!));
    const granted = cell(0);
    return {
      purpose,
      granted,
      denied: cell(1),
      withdrawn: cell(2),
      objected: cell(3),
      noAnswer: cell(4),
      grantedShare:
        totalWithheld || granted.value === null || liveCount === 0 ? null : granted.value / liveCount,
    };
  });
  return {
    minimumCell: min,
    liveContacts: totalWithheld ? withheld(min, false) : shown(liveCount),
    purposes,
  };
}

export interface AlertRuleCount {
  readonly ruleId: string;
  readonly kind: string;
  readonly open: number;
  readonly acknowledged: number;
}

export interface AlertSummary {
  readonly open: number;
  readonly acknowledged: number;
  readonly rules: readonly AlertRuleCount[];
}

/** Audit alerts by monitoring rule and state; every rule listed, and alerts of a rule since removed. */
export async function alertSummary(em: EntityManager): Promise<AlertSummary> {
  const rules = await query<AlertRuleCount>(
    em,
    `with counts as (
       select a.rule_id, min(a.kind) as kind,
              count(*) filter (where a.status = 'OPEN')::int as open,
              count(*) filter (where a.status = 'ACKNOWLEDGED')::int as acknowledged
         from audit_alert a group by a.rule_id)
     select coalesce(r.id, c.rule_id) as "ruleId", coalesce(r.kind, c.kind) as kind,
            coalesce(c.open, 0) as open, coalesce(c.acknowledged, 0) as acknowledged
       from audit_rule r full join counts c on c.rule_id = r.id
      order by 1`,
  );
  return {
    open: rules.reduce((sum, rule) => sum + rule.open, 0),
    acknowledged: rules.reduce((sum, rule) => sum + rule.acknowledged, 0),
    rules,
  };
}

export const REVIEW_AGES = ['UNDER_1_DAY', 'DAYS_1_TO_7', 'DAYS_7_TO_30', 'OVER_30_DAYS'] as const;
export type ReviewAge = (typeof REVIEW_AGES)[number];

export interface DuplicateReviewSummary {
  readonly open: number;
  readonly byAge: readonly { readonly age: ReviewAge; readonly open: number }[];
}

/** Open duplicate reviews, by how long they have waited (the open-queue index holds every one of them). */
export async function duplicateReviewSummary(em: EntityManager, now: Date): Promise<DuplicateReviewSummary> {
  const [row] = await query<Record<ReviewAge, number>>(
    em,
    `select count(*) filter (where d.detected_at > $1::timestamptz - interval '1 day')::int as "UNDER_1_DAY",
            count(*) filter (where d.detected_at <= $1::timestamptz - interval '1 day'
                               and d.detected_at > $1::timestamptz - interval '7 days')::int as "DAYS_1_TO_7",
            count(*) filter (where d.detected_at <= $1::timestamptz - interval '7 days'
                               and d.detected_at > $1::timestamptz - interval '30 days')::int as "DAYS_7_TO_30",
            count(*) filter (where d.detected_at <= $1::timestamptz - interval '30 days')::int as "OVER_30_DAYS"
       from contact_duplicate d where d.resolved_at is null`,
    [now],
  );
  const byAge = REVIEW_AGES.map((age) => ({ age, open: row?.[age] ?? 0 }));
  return { open: byAge.reduce((sum, age) => sum + age.open, 0), byAge };
}
