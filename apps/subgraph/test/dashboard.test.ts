import { randomUUID } from 'node:crypto';
import {
  auditsEveryOperation,
  OPERATIONS,
  PURPOSES,
  type Purpose,
  ROLE_PURPOSES,
  type Role,
} from '@custos/policy';
import { ConfigError, loadConfig } from '@custos/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { protectCoarse, protectPartition } from '../src/dashboard/suppression.js';
import {
  errorCode,
  type GqlResponse,
  setConsentState,
  startTestServer,
  type TestServer,
} from './support/harness.js';

/**
 * The console's dashboard aggregates, over real PostgreSQL and HTTP: the ledger events, states, alerts and
 * reviews are inserted here with SQL, and every expected count is derived here from what was inserted. Counts of
 * people's choices between 1 and 4 (AGGREGATE_MIN_CELL 5, the default) are withheld, and a month is withheld
 * when it would give a withheld day away.
 */

const MIN = 5;
let server: TestServer;
const tokens = {} as Record<Role, string>;

const OPERATION_NAMES = ['consentTrend', 'consentRates', 'alertSummary', 'duplicateReviewSummary'] as const;
const DASHBOARD_PURPOSES = PURPOSES.filter((p) =>
  OPERATION_NAMES.every((op) => (OPERATIONS[`Query.${op}`] as readonly Purpose[]).includes(p)),
);
/** A role that may declare `purpose` (from the policy's role table). */
const roleFor = (purpose: Purpose) =>
  (Object.entries(ROLE_PURPOSES) as [Role, readonly Purpose[]][]).find(([, ps]) => ps.includes(purpose))![0];

const COUNT = 'value suppressed fewerThan';
const TREND = `query Trend($purpose: String, $from: DateTime, $to: DateTime, $bucket: ConsentTrendBucket) {
  consentTrend(purpose: $purpose, from: $from, to: $to, bucket: $bucket) {
    bucket from to minimumCell
    points { start purpose granted { ${COUNT} } denied { ${COUNT} } withdrawn { ${COUNT} } objected { ${COUNT} } }
  } }`;
const RATES = `query Rates { consentRates { minimumCell liveContacts { ${COUNT} } purposes {
  purpose granted { ${COUNT} } denied { ${COUNT} } withdrawn { ${COUNT} } objected { ${COUNT} } noAnswer { ${COUNT} }
  grantedShare } } }`;
const ALERTS = 'query Alerts { alertSummary { open acknowledged rules { ruleId kind open acknowledged } } }';
const REVIEWS = 'query Reviews { duplicateReviewSummary { open byAge { age open } } }';
const QUERIES: Record<(typeof OPERATION_NAMES)[number], string> = {
  consentTrend: TREND,
  consentRates: RATES,
  alertSummary: ALERTS,
  duplicateReviewSummary: REVIEWS,
};

type Count = { value: number | null; suppressed: boolean; fewerThan: number | null };
type Status = 'granted' | 'denied' | 'withdrawn' | 'objected';
type Point = { start: string; purpose: string } & Record<Status, Count>;
type Trend = {
  consentTrend: { bucket: string; from: string; to: string; minimumCell: number; points: Point[] };
};

const count = (n: number): Count => ({ value: n, suppressed: false, fewerThan: null });
/** A day's count, withheld: certainly small, so the client may say "fewer than 5". */
const WITHHELD: Count = { value: null, suppressed: true, fewerThan: MIN };
/** A month's or a partition's count, withheld: maybe to protect another, so not said to be small. */
const WITHHELD_ANY: Count = { value: null, suppressed: true, fewerThan: null };
/** The small-cell rule as the issue states it, for a count on its own. */
const cell = (n: number): Count => (n >= 1 && n < MIN ? WITHHELD : count(n));

const STATUS_OF: Record<string, Status> = {
  GRANTED: 'granted',
  DENIED: 'denied',
  WITHDRAWN: 'withdrawn',
  OBJECTED: 'objected',
};

/** The ledger fixture: [purpose, UTC day, status, how many events]. */
const EVENTS: readonly [Purpose, string, keyof typeof STATUS_OF, number][] = [
  ['marketing', '2025-03-03', 'WITHDRAWN', 4],
  ['marketing', '2025-03-04', 'WITHDRAWN', 5],
  ['marketing', '2025-03-10', 'WITHDRAWN', 1],
  ['marketing', '2025-03-05', 'GRANTED', 7],
  ['marketing', '2025-03-06', 'DENIED', 3],
  ['marketing', '2025-03-07', 'OBJECTED', 6],
  ['marketing', '2025-03-08', 'OBJECTED', 2],
  ['sale_share', '2025-04-02', 'GRANTED', 5],
  ['sales', '2025-04-15', 'OBJECTED', 1],
];

const live: string[] = [];
const erased: string[] = [];
const seqs = new Map<string, number>();

async function insertContact(index: number, erasedAt: boolean): Promise<string> {
  const id = `30000000-0000-4000-8000-${String(index).padStart(12, '0')}`;
  await server.sql(
    `insert into contact (id, full_name, email, restricted, created_at, updated_at, erased_at)
     values ($1, 'Dashboard Person', $2, false, now(), now(), $3)`,
    [id, `dash-${index}@example.org`, erasedAt ? new Date() : null],
  );
  return id;
}

let eventCounter = 0;
async function insertEvent(purpose: string, status: string, recordedAt: Date): Promise<void> {
  // Spread over every contact, erased ones included: their events stay in the ledger's counts.
  const all = [...live, ...erased];
  const contact = all[eventCounter++ % all.length]!;
  const seq = (seqs.get(contact) ?? 0) + 1;
  seqs.set(contact, seq);
  await server.sql(
    `insert into consent_event (id, contact_id, seq, purpose, status, method, captured_at, recorded_at, recorded_by,
       hash) values ($1, $2, $3, $4, $5, 'ADMIN', $6, $6, 'fixture', repeat('0', 64))`,
    [randomUUID(), contact, seq, purpose, status, recordedAt],
  );
}

const gql = <T>(role: Role, purpose: Purpose, query: string, variables?: Record<string, unknown>) =>
  server.gql<T>(query, { token: tokens[role], purpose, variables });
const officer = <T>(query: string, variables?: Record<string, unknown>) =>
  gql<T>('privacy_officer', 'compliance', query, variables);
/** The officer's trend for `variables`, which must answer without errors. */
async function trend(variables: Record<string, unknown>) {
  const res = await officer<Trend>(TREND, variables);
  expect(res.body.errors).toBeUndefined();
  return res.body.data!.consentTrend;
}
const problemsOf = (res: GqlResponse) =>
  (
    (res.body.errors?.[0]?.extensions?.problems ?? []) as { field: string; rule: string; message: string }[]
  ).map((p) => `${p.field}:${p.rule}`);

beforeAll(async () => {
  server = await startTestServer();
  for (const role of Object.keys(ROLE_PURPOSES) as Role[])
    tokens[role] = await server.token([role], `dash-${role}`);
  for (let i = 0; i < 30; i++) live.push(await insertContact(i, false));
  for (let i = 30; i < 32; i++) erased.push(await insertContact(i, true));
  for (const [purpose, day, status, n] of EVENTS) {
    for (let i = 0; i < n; i++)
      await insertEvent(purpose, status, new Date(`${day}T${String(i).padStart(2, '0')}:30:00Z`));
  }
  // Still in the bucket that is filling: never answered.
  await insertEvent('marketing', 'WITHDRAWN', new Date(Date.now() - 60_000));
}, 60_000);

afterAll(async () => {
  await server?.close();
});

describe('consentTrend', () => {
  it('counts events per day, withholding 1-4 (4 → null, 5 → 5), every day and zero listed', async () => {
    const days = await trend({
      purpose: 'marketing',
      from: '2025-03-01T00:00:00Z',
      to: '2025-04-01T00:00:00Z',
      bucket: 'DAY',
    });
    expect(days).toMatchObject({
      bucket: 'DAY',
      from: '2025-03-01T00:00:00.000Z',
      to: '2025-04-01T00:00:00.000Z',
    });
    expect(days.minimumCell).toBe(MIN);
    expect(days.points).toHaveLength(31);
    const byDay = new Map(days.points.map((p) => [p.start.slice(0, 10), p]));
    // Spelled out: the cells the issue names.
    expect(byDay.get('2025-03-03')!.withdrawn).toEqual(WITHHELD);
    expect(byDay.get('2025-03-04')!.withdrawn).toEqual(count(5));
    expect(byDay.get('2025-03-10')!.withdrawn).toEqual(WITHHELD);
    expect(byDay.get('2025-03-05')!.granted).toEqual(count(7));
    // Every cell, from the fixture.
    for (const point of days.points) {
      expect(point.purpose).toBe('marketing');
      for (const status of Object.keys(STATUS_OF)) {
        const n = EVENTS.filter(
          ([p, d, s]) => p === 'marketing' && d === point.start.slice(0, 10) && s === status,
        ).reduce((sum, [, , , k]) => sum + k, 0);
        expect({ at: point.start, status, got: point[STATUS_OF[status]!] }).toEqual({
          at: point.start,
          status,
          got: cell(n),
        });
      }
    }
  });

  it('a window narrowed to one hour answers the whole day: one withdrawal stays withheld', async () => {
    const { points, from, to } = await trend({
      purpose: 'marketing',
      from: '2025-03-10T00:30:00Z',
      to: '2025-03-10T00:30:00.001Z',
      bucket: 'DAY',
    });
    expect({ from, to }).toEqual({ from: '2025-03-10T00:00:00.000Z', to: '2025-03-11T00:00:00.000Z' });
    expect(points).toHaveLength(1);
    expect(points[0]!.withdrawn).toEqual(WITHHELD);
  });

  it('per month, every ledger purpose; a month that would give a withheld day away is withheld too', async () => {
    const { points } = await trend({
      from: '2025-03-01T00:00:00Z',
      to: '2025-05-01T00:00:00Z',
      bucket: 'MONTH',
    });
    // The purposes a status may be recorded for: consent (marketing, sale_share) and objection (sales, analytics).
    const purposes = ['sales', 'marketing', 'sale_share', 'analytics'];
    expect(points.map((p) => `${p.start.slice(0, 7)} ${p.purpose}`)).toEqual([
      ...purposes.map((p) => `2025-03 ${p}`),
      ...purposes.map((p) => `2025-04 ${p}`),
    ]);
    const at = (month: string, purpose: string) =>
      points.find((p) => p.start.startsWith(month) && p.purpose === purpose)!;
    // Withdrawals 4 + 5 + 1 = 10: the withheld days (4 and 1) sum to 5, which pins neither.
    expect(at('2025-03', 'marketing').withdrawn).toEqual(count(10));
    expect(at('2025-03', 'marketing').granted).toEqual(count(7));
    // 3 denials: a small cell.
    expect(at('2025-03', 'marketing').denied).toEqual(WITHHELD_ANY);
    // Objections 6 + 2 = 8: if shown, the month minus the shown day (6) would be the withheld day (2).
    expect(at('2025-03', 'marketing').objected).toEqual(WITHHELD_ANY);
    expect(at('2025-04', 'sale_share').granted).toEqual(count(5));
    expect(at('2025-04', 'sales').objected).toEqual(WITHHELD_ANY);
    // Everything else is zero: nothing else was recorded in those months.
    const named = new Set(EVENTS.map(([p, d, s]) => `${d.slice(0, 7)} ${p} ${STATUS_OF[s]}`));
    let zeros = 0;
    for (const point of points) {
      for (const status of Object.values(STATUS_OF)) {
        if (named.has(`${point.start.slice(0, 7)} ${point.purpose} ${status}`)) continue;
        expect(point[status]).toEqual(count(0));
        zeros++;
      }
    }
    expect(zeros).toBe(points.length * 4 - named.size);
  });

  it('answers complete buckets only: the day still filling is left out', async () => {
    const now = new Date();
    const { to, points } = await trend({
      from: new Date(now.getTime() - 3 * 86_400_000).toISOString(),
      to: new Date(now.getTime() + 86_400_000).toISOString(),
      bucket: 'DAY',
      purpose: 'marketing',
    });
    const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
    expect(new Date(to).getTime()).toBeLessThanOrEqual(today);
    expect(points.length).toBeGreaterThanOrEqual(2);
    for (const point of points) expect(new Date(point.start).getTime()).toBeLessThan(new Date(to).getTime());
    // The event recorded a minute ago is nowhere: every answered cell is zero.
    for (const point of points) expect(point.withdrawn).toEqual(count(0));
  });

  it('refuses bad arguments with BAD_USER_INPUT naming the argument and rule, never the value', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ from: '2025-03-02T00:00:00Z', to: '2025-03-01T00:00:00Z' }, 'to:after'],
      [{ from: '2025-03-01T00:00:00Z', to: '2025-03-01T00:00:00Z' }, 'to:after'],
      [{ from: '2022-01-01T00:00:00Z', to: '2025-01-01T00:00:00Z' }, 'from:max_range'],
      [{ purpose: 'zq9nosuchpurpose' }, 'purpose:one_of'],
      // A purpose of the policy, but one the ledger holds no events for.
      [{ purpose: 'compliance' }, 'purpose:one_of'],
    ];
    for (const [variables, problem] of cases) {
      const res = await officer<Record<string, unknown>>(TREND, variables);
      expect({ variables, code: errorCode(res), problems: problemsOf(res) }).toEqual({
        variables,
        code: 'BAD_USER_INPUT',
        problems: [problem],
      });
      expect(res.body.data?.consentTrend ?? null).toBeNull();
      expect(res.text).not.toContain('zq9');
      expect(res.text).not.toContain('2022-01-01');
    }
  });
});

describe('consentRates', () => {
  beforeAll(async () => {
    // Live contacts: 30. marketing 20 granted, 6 denied, 4 withdrawn; sale_share 5 granted, 25 denied;
    // sales 5 objected. The erased contacts' states must not count.
    for (const [i, id] of live.entries()) {
      await setConsentState(server, id, 'marketing', i < 20 ? 'GRANTED' : i < 26 ? 'DENIED' : 'WITHDRAWN');
      await setConsentState(server, id, 'sale_share', i < 5 ? 'GRANTED' : 'DENIED');
      if (i < 5) await setConsentState(server, id, 'sales', 'OBJECTED');
    }
    for (const id of erased) await setConsentState(server, id, 'marketing', 'GRANTED');
  });

  it('per purpose, live contacts by current status, with the partition protected', async () => {
    const res = await officer<{ consentRates: Record<string, unknown> }>(RATES);
    expect(res.body.errors).toBeUndefined();
    const states = await server.sql<{ purpose: string; status: string; n: number }>(
      `select s.purpose, s.status, count(*)::int as n from consent_state s join contact c on c.id = s.contact_id
        where c.erased_at is null group by 1, 2`,
    );
    const n = (purpose: string, status: string) =>
      states.find((s) => s.purpose === purpose && s.status === status)?.n ?? 0;
    expect([n('marketing', 'GRANTED'), n('marketing', 'WITHDRAWN'), n('sale_share', 'GRANTED')]).toEqual([
      20, 4, 5,
    ]);
    expect(res.body.data!.consentRates).toEqual({
      minimumCell: MIN,
      liveContacts: count(live.length),
      purposes: [
        {
          purpose: 'sales',
          granted: count(0),
          denied: count(0),
          withdrawn: count(0),
          objected: count(n('sales', 'OBJECTED')),
          noAnswer: count(live.length - n('sales', 'OBJECTED')),
          grantedShare: 0,
        },
        {
          purpose: 'marketing',
          granted: count(n('marketing', 'GRANTED')),
          // 4 withdrawn is a small cell; with the total shown, the 6 denials would give it back: withheld too.
          denied: WITHHELD_ANY,
          withdrawn: WITHHELD_ANY,
          objected: count(0),
          noAnswer: count(0),
          grantedShare: n('marketing', 'GRANTED') / live.length,
        },
        {
          purpose: 'sale_share',
          granted: count(5),
          denied: count(n('sale_share', 'DENIED')),
          withdrawn: count(0),
          objected: count(0),
          noAnswer: count(0),
          grantedShare: 5 / live.length,
        },
        {
          purpose: 'analytics',
          granted: count(0),
          denied: count(0),
          withdrawn: count(0),
          objected: count(0),
          noAnswer: count(live.length),
          grantedShare: 0,
        },
      ],
    });
  });
});

describe('alertSummary and duplicateReviewSummary', () => {
  it('counts alerts by rule and state, rules without alerts and rules since removed included', async () => {
    await server.sql(
      `insert into audit_rule (id, kind, description, params, enabled, updated_at, updated_by)
       values ('dashboard-test', 'OFF_HOURS', 'fixture', '{}', false, now(), 'fixture')`,
    );
    const alert = (rule: string, status: string) =>
      server.sql(
        `insert into audit_alert (id, rule_id, kind, actor_sub, purpose, fired_at, service, details, status)
         values ($1, $2, 'OFF_HOURS', 'someone', 'sales', now(), 'custos', '{}', $3)`,
        [randomUUID(), rule, status],
      );
    for (let i = 0; i < 3; i++) await alert('dashboard-test', 'OPEN');
    await alert('dashboard-test', 'ACKNOWLEDGED');
    for (let i = 0; i < 2; i++) await alert('retired-rule', 'OPEN');
    await server.flushAudit();
    const res = await gql<{
      alertSummary: { open: number; acknowledged: number; rules: Record<string, unknown>[] };
    }>('admin', 'administration', ALERTS);
    expect(res.body.errors).toBeUndefined();
    // Expected from the tables, read here: every rule, and every alert's rule.
    const rules = await server.sql<{ id: string; kind: string }>('select id, kind from audit_rule');
    const alerts = await server.sql<{ rule_id: string; kind: string; status: string }>(
      'select rule_id, kind, status from audit_alert',
    );
    const ids = [...new Set([...rules.map((r) => r.id), ...alerts.map((a) => a.rule_id)])].sort();
    expect(ids.length).toBeGreaterThan(2);
    const of = (id: string, status: string) =>
      alerts.filter((a) => a.rule_id === id && a.status === status).length;
    const summary = res.body.data!.alertSummary;
    expect(summary.rules).toEqual(
      ids.map((id) => ({
        ruleId: id,
        kind: rules.find((r) => r.id === id)?.kind ?? alerts.find((a) => a.rule_id === id)!.kind,
        open: of(id, 'OPEN'),
        acknowledged: of(id, 'ACKNOWLEDGED'),
      })),
    );
    expect(summary.rules.find((r) => r.ruleId === 'dashboard-test')).toMatchObject({
      open: 3,
      acknowledged: 1,
    });
    expect(summary.rules.find((r) => r.ruleId === 'retired-rule')).toMatchObject({
      open: 2,
      acknowledged: 0,
    });
    expect(summary.open).toBe(alerts.filter((a) => a.status === 'OPEN').length);
    expect(summary.acknowledged).toBe(alerts.filter((a) => a.status === 'ACKNOWLEDGED').length);
  });

  it('counts open duplicate reviews by age; resolved ones are not open', async () => {
    const hoursAgo = [1, 2, 72, 240, 960];
    for (const [i, hours] of hoursAgo.entries()) {
      await server.sql(
        `insert into contact_duplicate (id, contact_id, existing_contact_id, detected_for_purpose, detected_at)
         values ($1, $2, $3, 'sales', now() - make_interval(hours => $4))`,
        [randomUUID(), live[i], live[i + 10], hours],
      );
    }
    await server.sql(
      `insert into contact_duplicate (id, contact_id, existing_contact_id, detected_for_purpose, detected_at,
         resolution, resolved_at) values ($1, $2, $3, 'sales', now() - interval '2 hours', 'DISTINCT_PEOPLE', now())`,
      [randomUUID(), live[20], live[21]],
    );
    const res = await officer<{ duplicateReviewSummary: unknown }>(REVIEWS);
    expect(res.body.errors).toBeUndefined();
    const within = (lo: number, hi: number) => hoursAgo.filter((h) => h >= lo * 24 && h < hi * 24).length;
    expect(res.body.data!.duplicateReviewSummary).toEqual({
      open: hoursAgo.length,
      byAge: [
        { age: 'UNDER_1_DAY', open: within(0, 1) },
        { age: 'DAYS_1_TO_7', open: within(1, 7) },
        { age: 'DAYS_7_TO_30', open: within(7, 30) },
        { age: 'OVER_30_DAYS', open: within(30, Number.POSITIVE_INFINITY) },
      ],
    });
    expect(within(0, 1)).toBe(2);
  });
});

describe('who may run them', () => {
  it('compliance and administration only: every other purpose gets FORBIDDEN and no data', async () => {
    expect(DASHBOARD_PURPOSES).toEqual(['compliance', 'administration']);
    const refused = PURPOSES.filter((p) => !DASHBOARD_PURPOSES.includes(p));
    expect(refused.length).toBeGreaterThan(0);
    for (const op of OPERATION_NAMES) {
      for (const purpose of PURPOSES) {
        const res = await gql<Record<string, unknown>>(roleFor(purpose), purpose, QUERIES[op]);
        const allowed = (OPERATIONS[`Query.${op}`] as readonly Purpose[]).includes(purpose);
        expect({ op, purpose, code: errorCode(res) ?? null, answered: res.body.data?.[op] != null }).toEqual({
          op,
          purpose,
          code: allowed ? null : 'FORBIDDEN',
          answered: allowed,
        });
      }
    }
  });

  it('is audited as the policy says: every compliance operation, and no event for administration', async () => {
    for (const purpose of DASHBOARD_PURPOSES) {
      const actor = `dash-audit-${purpose}`;
      const token = await server.token([roleFor(purpose)], actor);
      for (const op of OPERATION_NAMES) {
        const res = await server.gql(QUERIES[op], { token, purpose });
        expect(res.body.errors).toBeUndefined();
      }
      await server.flushAudit();
      const events = await server.sql<{
        purpose: string;
        outcome: string;
        root_fields: string[];
        subjects: number;
      }>(
        'select purpose, outcome, root_fields, subjects from audit_event where actor_sub = $1 order by occurred_at',
        [actor],
      );
      expect({ purpose, events }).toEqual({
        purpose,
        events: auditsEveryOperation(purpose)
          ? OPERATION_NAMES.map((op) => ({ purpose, outcome: 'OK', root_fields: [op], subjects: 0 }))
          : [],
      });
    }
    expect(DASHBOARD_PURPOSES.some((p) => auditsEveryOperation(p))).toBe(true);
  });
});

describe('the suppression rules an attacker would probe', () => {
  it('a coarse cell is withheld whenever subtracting its shown parts would pin its withheld ones', () => {
    // [total, its finer cells, shown?]; each withheld part is 1-4 (min 5).
    const cases: [number, number[], boolean][] = [
      [8, [6, 2], false], // one withheld day: 8 - 6 = 2
      [8, [6, 1, 1], false], // two withheld days summing to 2: both 1
      [13, [5, 4, 4], false], // two withheld days summing to 8: both 4
      [9, [5, 3, 1], false], // withheld days sum to 4: itself a small cell
      [10, [5, 4, 1], true], // 5 over two days: 4+1, 3+2, 2+3 or 1+4
      [12, [12], true],
      [0, [0, 0], true],
      [3, [3], false], // small itself
    ];
    for (const [total, fine, visible] of cases) {
      expect({ total, fine, cell: protectCoarse(total, fine, MIN) }).toEqual({
        total,
        fine,
        cell: visible ? count(total) : WITHHELD_ANY,
      });
    }
  });

  it('a partition with a shown total never leaves one withheld part computable', () => {
    // A lone small part takes the smallest shown part with it.
    expect(protectPartition(30, [20, 6, 4, 0, 0], MIN)).toEqual({
      total: false,
      parts: [false, true, true, false, false],
    });
    // Two small parts of 1: their sum (2) would pin them both; the smallest shown part goes too.
    expect(protectPartition(30, [1, 1, 7, 21, 0], MIN)).toEqual({
      total: false,
      parts: [true, true, true, false, false],
    });
    // Nothing else to withhold: the total goes (all ones; all fours).
    expect(protectPartition(12, [4, 4, 4], MIN)).toEqual({ total: true, parts: [true, true, true] });
    expect(protectPartition(6, [1, 1, 1, 1, 1, 1], MIN)).toEqual({
      total: true,
      parts: [true, true, true, true, true, true],
    });
    // A small total: every non-zero part is small too.
    expect(protectPartition(3, [3, 0, 0], MIN)).toEqual({ total: true, parts: [true, false, false] });
    expect(protectPartition(30, [25, 5, 0], MIN)).toEqual({ total: false, parts: [false, false, false] });
  });
});

describe('AGGREGATE_MIN_CELL', () => {
  it('is read at start: refused by name out of range, and the threshold the answers use', async () => {
    for (const bad of ['1', '0', 'five', '1001']) {
      let problems: string[] = [];
      try {
        loadConfig({ NODE_ENV: 'test', AGGREGATE_MIN_CELL: bad });
      } catch (error) {
        if (error instanceof ConfigError) problems = error.problems;
      }
      expect(problems.some((p) => p.startsWith('AGGREGATE_MIN_CELL:'))).toBe(true);
      // The value is never echoed (digits would match the rule's own bounds, so the word is checked).
      expect(problems.join(' ')).not.toContain('five');
    }
    expect(loadConfig({ NODE_ENV: 'test' }).aggregateMinCell).toBe(MIN);
    const three = await startTestServer({ env: { AGGREGATE_MIN_CELL: '3' } });
    try {
      const id = randomUUID();
      await three.sql(
        `insert into contact (id, full_name, email, restricted, created_at, updated_at)
         values ($1, 'Dashboard Person', 'dash-three@example.org', false, now(), now())`,
        [id],
      );
      // Two withdrawals on one day, three on the next: with a threshold of 3, 2 is withheld and 3 shown.
      const days = [...Array(2).fill('2025-06-01'), ...Array(3).fill('2025-06-02')] as string[];
      for (const [i, day] of days.entries()) {
        await three.sql(
          `insert into consent_event (id, contact_id, seq, purpose, status, method, captured_at, recorded_at,
             recorded_by, hash) values ($1, $2, $3, 'marketing', 'WITHDRAWN', 'ADMIN', $4, $4, 'fixture', repeat('0', 64))`,
          [randomUUID(), id, i + 1, new Date(`${day}T0${i}:00:00Z`)],
        );
      }
      const res = await three.gql<Trend>(TREND, {
        token: await three.token(['privacy_officer']),
        purpose: 'compliance',
        variables: {
          purpose: 'marketing',
          from: '2025-06-01T00:00:00Z',
          to: '2025-06-03T00:00:00Z',
          bucket: 'DAY',
        },
      });
      expect(res.body.errors).toBeUndefined();
      const { minimumCell, points } = res.body.data!.consentTrend;
      expect(minimumCell).toBe(3);
      expect(points.map((p) => p.withdrawn)).toEqual([
        { value: null, suppressed: true, fewerThan: 3 },
        { value: 3, suppressed: false, fewerThan: null },
      ]);
    } finally {
      await three.close();
    }
  }, 60_000);
});
