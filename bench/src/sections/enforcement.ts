// Enforcement cost: the same subgraph in NODE_ENV=test (the config refuses CUSTOS_POLICY_ALLOW_ALL in production),
// once enforcing the policy and once with it replaced by allow-all, at the same page sizes and at `_entities` with
// BENCH_ENTITIES representations, measured side by side. Each variant's SQL statements per request are counted
// first, on a separate instance behind a counting proxy, never under load. Goal (issue): enforced keeps at least
// 0.85x of allow-all's requests/s for every query, in one SQL statement per request.
import { METRIC_HEADER, metricCells, pairText, printTable, queryTitle, verdict } from '../report.js';
import { pairRatio, type Row, sortRows } from '../rows.js';
import { custosServer } from '../servers.js';
import { formatSql } from '../sql-count.js';
import type { Section } from './section.js';

/** The goal: enforcement costs at most 15% of throughput. */
const ENFORCEMENT_GOAL = 0.85;

/** Table order: enforced, then allow-all. */
const SERVERS = ['custos-enforced', 'custos-allow-all'] as const;

export const enforcement: Section<(typeof SERVERS)[number]> = {
  servers: SERVERS,
  together: 'all',
  // The same subgraph, token and purpose, outside production because the config refuses the allow-all switch in
  // production. Only the policy differs between the two.
  specs: {
    'custos-enforced': {
      ...custosServer('custos (enforced, NODE_ENV=test)', { NODE_ENV: 'test', CUSTOS_POLICY_ALLOW_ALL: '0' }),
      entities: true,
      countSql: true,
    },
    'custos-allow-all': {
      ...custosServer('custos (allow-all, NODE_ENV=test)', {
        NODE_ENV: 'test',
        CUSTOS_POLICY_ALLOW_ALL: '1',
      }),
      entities: true,
      countSql: true,
      allowAll: true,
    },
  },
  open: (run) => ({
    finish(unsorted) {
      const { settings } = run;
      const order = (row: Row) => (row.query === '_entities' ? Number.MAX_SAFE_INTEGER : (row.size ?? 0));
      const rows = sortRows(unsorted, order, SERVERS);
      const queries = [...new Set(rows.map(queryTitle))];
      const comparisons = queries.map((title) => {
        const enforced = rows.find((row) => row.server === 'custos-enforced' && queryTitle(row) === title);
        const allowAll = rows.find((row) => row.server === 'custos-allow-all' && queryTitle(row) === title);
        const either = enforced ?? allowAll;
        const judged = pairRatio(enforced, allowAll);
        return {
          title,
          ...(either?.query === '_entities'
            ? { query: '_entities', representations: either.representations }
            : { query: 'contacts', size: either?.size }),
          // The rounds alternate (measurePair): round i of one and round i of the other ran back to back, so each
          // pair's ratio is little affected by the machine's drift; judged on their median, their spread shows how
          // far to trust it, and the ratio of the medians is kept beside it.
          enforcedOverAllowAll: judged.value,
          enforcedOverAllowAllOfMedians: judged.ofMedians,
          roundPairRatios: judged.roundPairs,
          judged,
          // Only a comparison of two error-free measurements counts.
          goalMet:
            enforced && allowAll
              ? enforced.valid && allowAll.valid && judged.value !== null && judged.value >= ENFORCEMENT_GOAL
              : null,
          sqlStatementsPerRequest: {
            enforced: enforced?.sqlStatementsPerRequest ?? null,
            allowAll: allowAll?.sqlStatementsPerRequest ?? null,
          },
        };
      });
      const decided = comparisons.filter((c) => c.goalMet !== null);
      const counts = rows.map((row) => row.sqlStatementsPerRequest);
      const report = {
        mode:
          'Custos in NODE_ENV=test (the config refuses CUSTOS_POLICY_ALLOW_ALL in production), support_agent token, ' +
          'X-Purpose: customer_support; allow-all: CUSTOS_POLICY_ALLOW_ALL=1 (every request as purpose compliance)',
        goal: `enforced >= ${ENFORCEMENT_GOAL} x allow-all req/s for every query; 1 SQL statement per request`,
        entityIds: run.entityIds,
        rounds: { lists: settings.rounds, entities: settings.entitiesRounds },
        results: rows,
        comparisons,
        goalMet:
          decided.length > 0 && decided.length === comparisons.length
            ? decided.every((c) => c.goalMet)
            : null,
        sqlGoalMet:
          counts.length === 0 || counts.some((count) => count === null || count === undefined)
            ? null
            : counts.every((count) => count === 1),
        // Every counted server's statements (the consent and audit sections' too), per case.
        sqlStatements: run.sqlCounts,
      };
      if (rows.length > 0) {
        console.log('\nEnforcement cost (Custos in NODE_ENV=test: policy enforced vs replaced by allow-all)');
        printTable(
          ['query', 'server', ...METRIC_HEADER, 'redactions', 'SQL/req'],
          rows.map((row) => [
            queryTitle(row),
            row.label,
            ...metricCells(row),
            String(row.redactionsPerResponse),
            formatSql(row.sqlStatementsPerRequest),
          ]),
          2,
        );
        console.log('');
        for (const c of comparisons) {
          console.log(
            `${c.title}: enforced/allow-all ${pairText(c.judged)}, ` +
              `goal (>= ${ENFORCEMENT_GOAL.toFixed(2)}x) ${verdict(c.goalMet)}`,
          );
        }
        console.log(
          `enforcement goal (enforced >= ${ENFORCEMENT_GOAL.toFixed(2)} x allow-all req/s for every query): ` +
            verdict(report.goalMet),
        );
        console.log(
          `SQL/req: statements per request, counted on the PostgreSQL wire protocol over ${settings.sqlCountRequests} ` +
            'sequential requests to a separate instance (goal: 1 per list, 1 per _entities batch); ' +
            `SQL goal ${verdict(report.sqlGoalMet)}`,
        );
      }
      return { json: { enforcement: report }, goals: [report.goalMet] };
    },
  }),
};
