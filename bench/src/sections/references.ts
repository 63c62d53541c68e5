// The comparison with the references: Custos against PostGraphile 5 (the peer) and a bare pg + node:http server
// (the ceiling), on the same table, measured side by side (issue 16, "a fair bench first"): every selected
// reference is started, their rounds alternate (A B C, C B A, …), and before each load process (warm-ups
// included) what the previous server wrote is vacuumed, analysed and checkpointed (housekeeping.ts), timed apart
// from the rounds. The result is the ratio of each round pair (custos round i over the other's round i) and their
// median. Goals (issue 16): Custos >= 1.5x PostGraphile's req/s at first 50 and >= 1.3x at first 500, >= 0.4x bare
// at first 50 (medians of the round-pair ratios); Custos' p99 at or below PostGraphile's at both sizes.
import { formatHousekeeping, type Housekeeping, housekeeper } from '../housekeeping.js';
import { benchScript } from '../paths.js';
import { CUSTOS_FIELDS, CUSTOS_QUERY, POSTGRAPHILE_FIELDS, POSTGRAPHILE_QUERY } from '../queries.js';
import { fmt, type Goal, judge, METRIC_HEADER, metricCells, printGoals, printTable } from '../report.js';
import { median, type Row, ratio, roundPairs, sortRows } from '../rows.js';
import { custosServer, PRODUCTION } from '../servers.js';
import type { Section } from './section.js';

const JSON_HEADERS = { 'content-type': 'application/json' };

/** Start and alternation order: Custos first, so that a broken subgraph fails the run before any load. */
const SERVERS = ['custos', 'postgraphile', 'bare'] as const;
/** Table order: the ceiling, the peer, Custos. */
const TABLE_ORDER = ['bare', 'postgraphile', 'custos'] as const;

/** The throughput goals: Custos' req/s over `other`'s at `size`, median of round-pair ratios, at least. */
const THROUGHPUT_GOALS = [
  { other: 'postgraphile', size: 50, minimum: 1.5 },
  { other: 'postgraphile', size: 500, minimum: 1.3 },
  { other: 'bare', size: 50, minimum: 0.4 },
] as const;
/** Custos' p99 at or below PostGraphile's at these sizes. */
const P99_SIZES = [50, 500];

/** `a` over `b`: each round pair's req/s ratio, their median, and the ratio of the medians (for reference). */
function pairRatios(a: Row | undefined, b: Row | undefined) {
  const pairs = roundPairs(a, b);
  return { roundPairs: pairs, median: median(pairs), ofMedians: ratio(a, b) };
}

export const references: Section<(typeof SERVERS)[number]> = {
  servers: SERVERS,
  together: 'any',
  specs: {
    bare: {
      label: 'bare pg + node:http',
      script: benchScript('servers/bare.js'),
      env: () => ({}),
      query: CUSTOS_QUERY,
      headers: () => JSON_HEADERS,
      connectionField: 'contacts',
      idField: 'id',
      fields: CUSTOS_FIELDS,
    },
    postgraphile: {
      label: 'PostGraphile 5',
      script: benchScript('servers/postgraphile.js'),
      // Grafast in production mode, as PostGraphile is deployed (development mode adds checks to every plan).
      env: () => ({ GRAPHILE_ENV: 'production', NODE_ENV: 'production' }),
      query: POSTGRAPHILE_QUERY,
      headers: () => JSON_HEADERS,
      connectionField: 'allContacts',
      idField: 'rowId',
      fields: POSTGRAPHILE_FIELDS,
    },
    custos: custosServer('Custos subgraph', PRODUCTION),
  },
  open: (run) => {
    const { settings } = run;
    const house = housekeeper(run.database.url);
    /** Every housekeeping pass: before which server's warm-up or round, at which case, and what it did. */
    const passes: (Housekeeping & {
      readonly before: string;
      readonly case: string;
      readonly round: string;
    })[] = [];
    return {
      pairOptions: {
        async beforeRound({ item, next, round }) {
          const pass = await house.run();
          passes.push({ before: next, case: item.key, round: String(round), ...pass });
          return formatHousekeeping(pass);
        },
      },
      finish(unsorted) {
        // Table order is fixed (ceiling, peer, Custos) whatever order the servers ran in.
        const rows = sortRows(unsorted, (row) => row.size ?? 0, TABLE_ORDER);
        const find = (server: Row['server'], size: number) =>
          rows.find((row) => row.server === server && row.size === size);
        const comparisons = settings.sizes.map((size) => {
          const custos = find('custos', size);
          const peer = find('postgraphile', size);
          const bare = find('bare', size);
          return {
            size,
            custosOverPostgraphile: pairRatios(custos, peer),
            custosOverBare: pairRatios(custos, bare),
            postgraphileOverBare: pairRatios(peer, bare),
            p99Ms: { custos: custos?.p99Ms ?? null, postgraphile: peer?.p99Ms ?? null },
            // Only a comparison of error-free measurements counts.
            valid: {
              custos: custos?.valid ?? null,
              postgraphile: peer?.valid ?? null,
              bare: bare?.valid ?? null,
            },
          };
        });
        const at = (size: number) => comparisons.find((c) => c.size === size);
        const bothValid = (valid: readonly (boolean | null | undefined)[]) => valid.every((v) => v === true);
        const goals: Goal[] = [
          ...THROUGHPUT_GOALS.map(({ other, size, minimum }) => {
            const c = at(size);
            const over = other === 'postgraphile' ? c?.custosOverPostgraphile : c?.custosOverBare;
            return judge({
              goal: `custos >= ${minimum.toFixed(2)}x ${other} req/s at first=${size} (median of round-pair ratios)`,
              value: over?.median ?? null,
              atLeast: minimum,
              valid: bothValid([c?.valid.custos, c?.valid[other]]),
            });
          }),
          ...P99_SIZES.map((size) => {
            const c = at(size);
            const { custos, postgraphile } = c?.p99Ms ?? { custos: null, postgraphile: null };
            return judge({
              goal: `custos p99 <= postgraphile p99 at first=${size} (medians of the rounds' p99; value: custos/postgraphile)`,
              value:
                custos !== null && postgraphile !== null
                  ? Math.round((custos / postgraphile) * 100) / 100
                  : null,
              atMost: 1,
              valid: bothValid([c?.valid.custos, c?.valid.postgraphile]),
            });
          }),
        ];
        if (rows.length > 0) {
          console.log(
            '\nReferences, side by side (rounds alternate; housekeeping before each): req/s, p50, p99 are medians ' +
              "of the rounds; the last columns: custos' req/s over this server's, round pair by round pair, and their median",
          );
          printTable(
            ['server', 'first', ...METRIC_HEADER, 'custos/this, round pairs', 'median'],
            rows.map((row) => {
              const custos = row.server === 'custos' ? undefined : find('custos', row.size ?? 0);
              const pairs = roundPairs(custos, row);
              return [
                row.label,
                String(row.size),
                ...metricCells(row),
                pairs.length > 0 ? pairs.map((p) => p.toFixed(2)).join(' ') : '-',
                pairs.length > 0 ? fmt(median(pairs)) : '-',
              ];
            }),
          );
          console.log('');
          for (const c of comparisons) {
            console.log(
              `first=${c.size}: custos/postgraphile ${fmt(c.custosOverPostgraphile.median)}, custos/bare ` +
                `${fmt(c.custosOverBare.median)}, postgraphile/bare ${fmt(c.postgraphileOverBare.median)} ` +
                '(medians of round-pair ratios; ratios of the medians: ' +
                `${fmt(c.custosOverPostgraphile.ofMedians)}, ${fmt(c.custosOverBare.ofMedians)}, ` +
                `${fmt(c.postgraphileOverBare.ofMedians)})`,
            );
          }
          printGoals('goals (issue 16)', goals);
        }
        return {
          json: { results: rows, comparisons, goals, housekeeping: passes },
          goals: rows.length > 0 ? goals.map((goal) => goal.met) : [],
        };
      },
    };
  },
};
