// Before and after a change: the subgraph built from an earlier checkout (BENCH_BASELINE_DIR, its own database
// seeded by its own seed CLI) against this one, both as shipped, the same query, measured side by side. Each serves
// its own seed (the seed may differ between them): rows and cursors are not compared.
import { CUSTOS_QUERY, RELATIONS_QUERY } from '../queries.js';
import { fmt, METRIC_HEADER, metricCells, printTable, queryTitle, spreadOf } from '../report.js';
import { perSize, ratio, roundPairs } from '../rows.js';
import { custosServer, PRODUCTION } from '../servers.js';
import type { Section } from './section.js';

/**
 * BENCH_CHANGE_QUERY: `page` (default), the bench's page of contacts; `relations`, the same page following each
 * contact's company and interactions (RELATIONS_QUERY). Anything else stops the run before a server starts.
 */
export function changeQuery(raw = process.env.BENCH_CHANGE_QUERY): {
  name: 'page' | 'relations';
  text: string;
} {
  const name = raw?.trim() || 'page';
  if (name === 'page') return { name, text: CUSTOS_QUERY };
  if (name === 'relations') return { name, text: RELATIONS_QUERY };
  throw new Error('BENCH_CHANGE_QUERY: must be page or relations');
}
const QUERY = changeQuery();

export const change: Section<'change-before' | 'change-after'> = {
  servers: ['change-before', 'change-after'],
  together: 'all',
  specs: {
    'change-before': {
      ...custosServer('custos before (BENCH_BASELINE_DIR)', PRODUCTION),
      query: QUERY.text,
      ownRows: true,
      baseline: true,
      // A baseline may predate opaque cursors (readable base64 of the sort key): not checked for them.
      opaqueCursors: false,
    },
    'change-after': {
      ...custosServer('custos after (this checkout)', PRODUCTION),
      query: QUERY.text,
      ownRows: true,
    },
  },
  open: ({ settings }) => ({
    finish(rows) {
      const comparisons = perSize(
        rows,
        settings.sizes,
        ['change-before', 'change-after'],
        (before, after, size) => ({
          size,
          before: before.requestsPerSecond,
          after: after.requestsPerSecond,
          afterOverBefore: ratio(after, before),
          roundPairRatios: roundPairs(after, before),
          p99Ms: { before: before.p99Ms ?? null, after: after.p99Ms ?? null },
        }),
      );
      if (comparisons.length > 0) {
        console.log(
          `\nChange: the subgraph of ${settings.baselineDir} (before) against this checkout (after), as shipped, ` +
            `query: ${QUERY.name}`,
        );
        printTable(
          ['query', 'server', ...METRIC_HEADER],
          rows.map((row) => [queryTitle(row), row.label, ...metricCells(row)]),
          2,
        );
        console.log('');
        for (const c of comparisons) {
          console.log(
            `first=${c.size}: before ${c.before}, after ${c.after}, after/before ${fmt(c.afterOverBefore)}` +
              `${spreadOf(c.roundPairRatios)}; p99 ${c.p99Ms.before?.toFixed(2) ?? 'n/a'} ms -> ` +
              `${c.p99Ms.after?.toFixed(2) ?? 'n/a'} ms`,
          );
        }
      }
      return {
        json: {
          change: {
            baselineDir: settings.baselineDir ?? null,
            query: QUERY.name,
            results: rows,
            comparisons,
          },
        },
        goals: [],
      };
    },
  }),
};
