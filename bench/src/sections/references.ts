// The comparison with the references: Custos against PostGraphile 5 (the peer) and a bare pg + node:http server
// (the ceiling), on the same table, each measured alone. Target (issue): Custos serves at least PostGraphile's
// requests/s at every page size.
import { benchScript } from '../paths.js';
import { CUSTOS_FIELDS, CUSTOS_QUERY, POSTGRAPHILE_FIELDS, POSTGRAPHILE_QUERY } from '../queries.js';
import { fmt, METRIC_HEADER, metricCells, printTable, verdict } from '../report.js';
import { type Row, ratio, sortRows } from '../rows.js';
import { custosServer, PRODUCTION } from '../servers.js';
import type { Section } from './section.js';

const JSON_HEADERS = { 'content-type': 'application/json' };

/** Table order: the ceiling, the peer, Custos. */
const SERVERS = ['bare', 'postgraphile', 'custos'] as const;

export const references: Section<(typeof SERVERS)[number]> = {
  servers: SERVERS,
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
  open: ({ settings }) => ({
    finish(unsorted) {
      // Table order is fixed (ceiling, peer, Custos) whatever order the servers ran in.
      const rows = sortRows(unsorted, (row) => row.size ?? 0, SERVERS);
      const find = (server: Row['server'], size: number) =>
        rows.find((row) => row.server === server && row.size === size);
      const comparisons = settings.sizes.map((size) => {
        const custos = find('custos', size);
        const peer = find('postgraphile', size);
        const bare = find('bare', size);
        return {
          size,
          custosOverPostgraphile: ratio(custos, peer),
          custosOverBare: ratio(custos, bare),
          postgraphileOverBare: ratio(peer, bare),
          // Only a comparison of two error-free measurements counts.
          targetMet:
            custos && peer
              ? custos.valid && peer.valid && custos.requestsPerSecond >= peer.requestsPerSecond
              : null,
        };
      });
      const decided = comparisons.filter((c) => c.targetMet !== null);
      const targetMet = decided.length === settings.sizes.length ? decided.every((c) => c.targetMet) : null;
      if (rows.length > 0) {
        printTable(
          ['server', 'first', ...METRIC_HEADER],
          rows.map((row) => [row.label, String(row.size), ...metricCells(row)]),
        );
        console.log('');
        for (const c of comparisons) {
          console.log(
            `first=${c.size}: custos/postgraphile ${fmt(c.custosOverPostgraphile)}, custos/bare ${fmt(c.custosOverBare)}, ` +
              `postgraphile/bare ${fmt(c.postgraphileOverBare)}`,
          );
        }
        console.log(`target (custos >= postgraphile req/s at every size): ${verdict(targetMet)}`);
      }
      return { json: { results: rows, comparisons, targetMet }, goals: [targetMet] };
    },
  }),
};
