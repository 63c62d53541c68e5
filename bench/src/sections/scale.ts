// Cost as the data grows (issue 16): the subgraph as deployed, the same page for each purpose's row rule
// (customer_support: every live contact; sales: no objection to sales, not restricted; marketing: GRANTED marketing
// consent, no objection, not restricted), on the bench database (BENCH_CONTACTS, 100,000) and on a large one
// (BENCH_SCALE_CONTACTS, 1,000,000, seeded once under its own name and reused). Per purpose, the two sizes are
// measured side by side (rounds alternate, housekeeping before each load process, as the references), and each
// one's SQL statements per page are counted. Goal: at the large size, p50 and p99 of every page size stay within
// 1.5x of their values at the bench size (medians of round-pair ratios), in one SQL statement per page.
// Selected only when its servers are named in BENCH_SERVERS (scale-support, scale-sales, scale-marketing: each
// measures its purpose at both sizes).
import { type Purpose, ROLE_PURPOSES, ROLES } from '@custos/policy';
import { formatHousekeeping, housekeeper } from '../housekeeping.js';
import { measurePair } from '../measure.js';
import { fmt, type Goal, judge, METRIC_HEADER, metricCells, printGoals, printTable } from '../report.js';
import { median, type Row, roundPairs } from '../rows.js';
import { custosServer, databaseOf, PRODUCTION, type ServerSpec } from '../servers.js';
import type { ServerName } from '../settings.js';
import { formatSql, type SqlCount } from '../sql-count.js';
import type { Section } from './section.js';

/** p50 and p99 at the large size at most this many times their value at the bench size. */
const SCALE_GOAL = 1.5;

/** Each purpose's pair: its server on the bench database, and on the large one. */
const PAIRS = [
  { purpose: 'customer_support', base: 'scale-support', large: 'scale-support-large' },
  { purpose: 'sales', base: 'scale-sales', large: 'scale-sales-large' },
  { purpose: 'marketing', base: 'scale-marketing', large: 'scale-marketing-large' },
] as const satisfies readonly { purpose: Purpose; base: ServerName; large: ServerName }[];

type ScaleServer = (typeof PAIRS)[number]['base'] | (typeof PAIRS)[number]['large'];

/** The first role (policy order) that may declare `purpose`: its token, and the purpose declared. */
function purposeServer(purpose: Purpose, label: string, largeDatabase: boolean): ServerSpec {
  const role = ROLES.find((candidate) => (ROLE_PURPOSES[candidate] as readonly Purpose[]).includes(purpose));
  if (!role) throw new Error(`no role may declare ${purpose}`);
  return {
    ...custosServer(label, PRODUCTION),
    countSql: true,
    // Each purpose sees its own rows, and the large database holds another seed: no row-for-row comparison.
    ownRows: true,
    largeDatabase,
    headers: (identity) => ({
      'content-type': 'application/json',
      authorization: `Bearer ${identity.roleTokens[role]}`,
      'x-purpose': purpose,
    }),
  };
}

const SPECS = Object.fromEntries(
  PAIRS.flatMap(({ purpose, base, large }) => [
    [base, purposeServer(purpose, `custos, ${purpose}, bench database`, false)],
    [large, purposeServer(purpose, `custos, ${purpose}, large database`, true)],
  ]),
) as Record<ScaleServer, ServerSpec>;

/**
 * The page's own SQL statements per request, from one server's count at one case: every counted statement but the
 * job queue's (pg-boss polls and maintains `pgboss.*` on its own timers, off the request path; under load one can
 * fall between a request and its answer). Exact when every request ran at least one statement: then a total of one
 * per request means one each. null when not counted, or when some request ran none.
 */
function pageStatements(count: SqlCount | null | undefined): number | null {
  if (!count) return null;
  const least = typeof count.perRequest === 'number' ? count.perRequest : count.perRequest.min;
  if (least < 1) return null;
  const own = count.texts.reduce(
    (total, { sql, count: n }) => (/\bpgboss\./.test(sql) ? total : total + n),
    0,
  );
  return Math.round((own / count.requests) * 100) / 100;
}

/** Large over base for one latency: each round pair's ratio, their median, and the ratio of the medians. */
function latencyRatios(base: Row, large: Row, metric: 'p50Ms' | 'p99Ms') {
  const pairs = roundPairs(large, base, metric);
  const a = large[metric];
  const b = base[metric];
  return {
    roundPairs: pairs,
    median: median(pairs),
    ofMedians: a !== null && b !== null && b > 0 ? Math.round((a / b) * 100) / 100 : null,
  };
}

export const scale: Section<ScaleServer> = {
  servers: PAIRS.flatMap(({ base, large }) => [base, large]),
  specs: SPECS,
  open: (run) => {
    const { settings } = run;
    const rows: Row[] = [];
    const measured = new Set<Purpose>();
    const houses = new Map<string, ReturnType<typeof housekeeper>>();
    /** The housekeeper of the database `name` serves (the previous server's: what it wrote). */
    const houseOf = (name: ServerName) => {
      const { url } = databaseOf(run, name);
      const house = houses.get(url) ?? housekeeper(url);
      houses.set(url, house);
      return house;
    };
    return {
      // Any of a purpose's two servers selects the pair; each pair is measured once.
      async measure(name) {
        const pair = PAIRS.find(({ base, large }) => base === name || large === name);
        if (!pair || measured.has(pair.purpose)) return;
        measured.add(pair.purpose);
        rows.push(
          ...(await measurePair(run, [pair.base, pair.large], {
            beforeRound: async ({ previous, next }) =>
              `${formatHousekeeping(await houseOf(previous ?? next).run())} on ${databaseOf(
                run,
                previous ?? next,
              )
                .url.split('/')
                .at(-1)}`,
          })),
        );
      },
      finish() {
        const sizes = { base: settings.contacts, large: settings.scaleContacts };
        const comparisons = PAIRS.flatMap(({ purpose, base, large }) =>
          settings.sizes.flatMap((size) => {
            const find = (name: ServerName) => rows.find((row) => row.server === name && row.size === size);
            const b = find(base);
            const l = find(large);
            if (!b || !l) return [];
            return [
              {
                purpose,
                size,
                contacts: sizes,
                p50Ms: { base: b.p50Ms, large: l.p50Ms, largeOverBase: latencyRatios(b, l, 'p50Ms') },
                p99Ms: { base: b.p99Ms, large: l.p99Ms, largeOverBase: latencyRatios(b, l, 'p99Ms') },
                requestsPerSecond: { base: b.requestsPerSecond, large: l.requestsPerSecond },
                sqlStatementsPerRequest: {
                  base: b.sqlStatementsPerRequest ?? null,
                  large: l.sqlStatementsPerRequest ?? null,
                },
                pageStatements: {
                  base: pageStatements(run.sqlCounts[base]?.[`first=${size}`]),
                  large: pageStatements(run.sqlCounts[large]?.[`first=${size}`]),
                },
                valid: b.valid && l.valid,
              },
            ];
          }),
        );
        const goals: Goal[] = comparisons.flatMap((c) => {
          const where = `${c.purpose} at first=${c.size}`;
          const latency = (metric: 'p50' | 'p99', value: number | null) =>
            judge({
              goal: `${where}: ${metric} at ${sizes.large} contacts <= ${SCALE_GOAL.toFixed(2)}x at ${sizes.base} (median of round-pair ratios)`,
              value,
              atMost: SCALE_GOAL,
              valid: c.valid,
            });
          const counted = [c.pageStatements.base, c.pageStatements.large];
          const sql = counted.includes(null) ? null : Math.max(...(counted as number[]));
          return [
            latency('p50', c.p50Ms.largeOverBase.median),
            latency('p99', c.p99Ms.largeOverBase.median),
            {
              goal: `${where}: one SQL statement per page at both sizes (value: the page's own statements per request, the job queue's apart; the larger of the two)`,
              value: sql,
              atMost: 1,
              unit: 'per request',
              met: sql === null ? null : sql === 1,
            },
          ];
        });
        if (rows.length > 0) {
          console.log(
            `\nScale: each purpose's row rule on ${sizes.base.toLocaleString('en-US')} and ` +
              `${sizes.large.toLocaleString('en-US')} contacts, side by side (medians of the rounds)`,
          );
          printTable(
            ['query', 'server', 'contacts', ...METRIC_HEADER, 'SQL/req'],
            rows.map((row) => [
              `contacts(first: ${row.size})`,
              row.label,
              (SPECS[row.server as ScaleServer]?.largeDatabase ? sizes.large : sizes.base).toLocaleString(
                'en-US',
              ),
              ...metricCells(row),
              formatSql(row.sqlStatementsPerRequest),
            ]),
            2,
          );
          console.log('');
          for (const c of comparisons) {
            const ms = (value: number | null) => (value === null ? 'n/a' : `${value.toFixed(2)} ms`);
            console.log(
              `${c.purpose} first=${c.size}: p50 ${ms(c.p50Ms.base)} -> ${ms(c.p50Ms.large)} ` +
                `(${fmt(c.p50Ms.largeOverBase.median)}), p99 ${ms(c.p99Ms.base)} -> ${ms(c.p99Ms.large)} ` +
                `(${fmt(c.p99Ms.largeOverBase.median)}); large/base, medians of round-pair ratios`,
            );
          }
          printGoals('scale goals (issue 16)', goals);
        }
        return {
          json: {
            scale:
              rows.length > 0
                ? {
                    contacts: sizes,
                    goal: SCALE_GOAL,
                    results: rows,
                    comparisons,
                    goals,
                    // Each counted server's statements per case, with their texts.
                    sqlStatements: Object.fromEntries(
                      Object.keys(SPECS).map((name) => [name, run.sqlCounts[name as ScaleServer] ?? null]),
                    ),
                  }
                : null,
          },
          goals: goals.map((goal) => goal.met),
        };
      },
    };
  },
};
