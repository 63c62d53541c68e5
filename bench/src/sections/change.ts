// Before and after a change: the subgraph built from an earlier checkout (BENCH_BASELINE_DIR, its own database
// seeded by its own seed CLI) against this one, both as shipped, the same query, measured side by side. Each serves
// its own seed (the seed may differ between them): rows and cursors are not compared.
import { fmt, METRIC_HEADER, metricCells, printTable, queryTitle, spreadOf } from '../report.js';
import { perSize, ratio, roundPairs } from '../rows.js';
import { custosServer, PRODUCTION } from '../servers.js';
import type { Section } from './section.js';

export const change: Section<'change-before' | 'change-after'> = {
  servers: ['change-before', 'change-after'],
  together: 'all',
  specs: {
    'change-before': {
      ...custosServer('custos before (BENCH_BASELINE_DIR)', PRODUCTION),
      ownRows: true,
      baseline: true,
      // A baseline may predate opaque cursors (readable base64 of the sort key): not checked for them.
      opaqueCursors: false,
    },
    'change-after': { ...custosServer('custos after (this checkout)', PRODUCTION), ownRows: true },
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
          `\nChange: the subgraph of ${settings.baselineDir} (before) against this checkout (after), as shipped`,
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
        json: { change: { baselineDir: settings.baselineDir ?? null, results: rows, comparisons } },
        goals: [],
      };
    },
  }),
};
