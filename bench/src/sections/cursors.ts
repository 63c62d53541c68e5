// Opaque cursors: the same subgraph as deployed (production), the same page, once selecting no cursor and once
// selecting every edge's cursor and the end cursor — each one sealed with AES-256-GCM for its list and purpose, and
// its row noted for the audit trail (N + 1 seals per page of N), measured side by side. Reported, no goal: the cost
// is paid only by queries that select cursors.

import { NO_CURSOR_QUERY } from '../queries.js';
import { fmt, spreadOf } from '../report.js';
import { perSize, ratio, roundPairs } from '../rows.js';
import { custosServer, PRODUCTION } from '../servers.js';
import type { Section } from './section.js';

export const cursors: Section<'cursors-none' | 'cursors-sealed'> = {
  servers: ['cursors-none', 'cursors-sealed'],
  together: 'all',
  specs: {
    'cursors-none': {
      ...custosServer('custos, no cursor selected', PRODUCTION),
      query: NO_CURSOR_QUERY,
      withCursors: false,
    },
    'cursors-sealed': custosServer('custos, every cursor selected (sealed)', PRODUCTION),
  },
  open: ({ settings }) => ({
    finish(rows) {
      const comparisons = perSize(
        rows,
        settings.sizes,
        ['cursors-none', 'cursors-sealed'],
        (none, sealed, size) => ({
          size,
          none: none.requestsPerSecond,
          sealed: sealed.requestsPerSecond,
          sealedOverNone: ratio(sealed, none),
          roundPairRatios: roundPairs(sealed, none),
          valid: none.valid && sealed.valid,
        }),
      );
      if (comparisons.length > 0) {
        console.log(
          '\nOpaque cursors: the same page without cursors and with every cursor sealed (production)',
        );
        for (const c of comparisons) {
          console.log(
            `first=${c.size}: no cursor ${c.none}, sealed cursors ${c.sealed}, sealed/none ` +
              `${fmt(c.sealedOverNone)}${spreadOf(c.roundPairRatios)}`,
          );
        }
      }
      const report = {
        mode:
          'Custos in NODE_ENV=production, support_agent token, X-Purpose: customer_support; cursors-none: the page ' +
          'without `cursor` and `endCursor`; cursors-sealed: with both (AES-256-GCM per cursor)',
        results: rows,
        comparisons,
      };
      return { json: { cursors: report }, goals: [] };
    },
  }),
};
