// Consent cost (issue 5): the same page for customer_support (every live contact) and for marketing (only contacts
// with a GRANTED marketing consent, about half of the seed), measured side by side: what the consent row rule
// costs. Goal: marketing keeps at least 0.80x, in one SQL statement. Then the ledger's write rate: consent events
// recorded through the API.
import type { Run } from '../context.js';
import { queryRows } from '../database.js';
import { pairText, verdict } from '../report.js';
import { pairRatio, perSize } from '../rows.js';
import { custosServer, PRODUCTION, startServer } from '../servers.js';
import type { Section } from './section.js';

const CONSENT_GOAL = 0.8;

interface Recording {
  readonly events: number;
  readonly failures: number;
  readonly seconds: number;
  readonly eventsPerSecond: number;
}

/**
 * Records BENCH_CONSENT_EVENTS consent events through the API (a support agent recording a refusal of sale_share,
 * one per contact, BENCH_CONNECTIONS requests in flight), on the subgraph as deployed: each is one transaction that
 * locks the contact, chains the event and sets the state and the contact's bits. Purpose sale_share, which no
 * measured query reads; the events stay in the bench database (the ledger is append-only).
 */
async function measureRecording(run: Run): Promise<Recording> {
  const { settings } = run;
  const ids = (
    await queryRows<{ id: string }>(
      run.database.url,
      'select id from contact where erased_at is null order by id limit $1',
      [settings.consentEvents],
    )
  ).map((row) => row.id);
  const { port, stop } = await startServer(run, 'consent-support', run.database.appUrl);
  try {
    const url = `http://127.0.0.1:${port}/graphql`;
    const headers = run.spec('consent-support').headers(run.identity);
    const query =
      'mutation R($c: ID!) { recordConsent(input: { contactId: $c, purpose: "sale_share", status: DENIED, method: IMPORT }) { seq } }';
    let next = 0;
    let failures = 0;
    const started = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: settings.connections }, async () => {
        while (next < ids.length) {
          const id = ids[next++];
          const response = await fetch(url, {
            method: 'POST',
            headers,
            body: JSON.stringify({ query, variables: { c: id } }),
          });
          const text = await response.text();
          if (!response.ok || text.includes('"errors":')) failures += 1;
        }
      }),
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const result = {
      events: ids.length,
      failures,
      seconds: Math.round(seconds * 100) / 100,
      eventsPerSecond: Math.round(ids.length / seconds),
    };
    console.log(
      `consent events: ${result.events} recorded in ${result.seconds} s (${result.eventsPerSecond} events/s, ` +
        `${settings.connections} in flight, ${failures} failed)`,
    );
    if (failures > 0) run.warnings.push(`consent recording: ${failures} requests failed`);
    return result;
  } finally {
    await stop();
  }
}

export const consent: Section<'consent-support' | 'consent-marketing'> = {
  servers: ['consent-support', 'consent-marketing'],
  together: 'all',
  specs: {
    'consent-support': { ...custosServer('custos, customer_support', PRODUCTION), countSql: true },
    'consent-marketing': {
      ...custosServer('custos, marketing (consent row rule)', PRODUCTION),
      countSql: true,
      // Its own rows: only consenting contacts, so no row-for-row comparison with the other servers.
      ownRows: true,
      headers: (identity) => ({
        'content-type': 'application/json',
        authorization: `Bearer ${identity.marketerToken}`,
        'x-purpose': 'marketing',
      }),
    },
  },
  open: (run) => {
    /** Consent events recorded through the API per second, when the pair ran. */
    let recording: Recording | null = null;
    return {
      async afterPair() {
        recording = await measureRecording(run);
      },
      finish(rows) {
        const comparisons = perSize(
          rows,
          run.settings.sizes,
          ['consent-support', 'consent-marketing'],
          (support, marketing, size) => {
            // Judged on the median of the round pairs' ratios (the fair protocol); the ratio of the medians beside it.
            const judged = pairRatio(marketing, support);
            const marketingOverSupport = judged.value;
            const sqlPerRequest = marketing.sqlStatementsPerRequest;
            return {
              size,
              support: support.requestsPerSecond,
              marketing: marketing.requestsPerSecond,
              marketingOverSupport,
              marketingOverSupportOfMedians: judged.ofMedians,
              judged,
              roundPairRatios: judged.roundPairs,
              sqlPerRequest,
              goalMet:
                support.valid &&
                marketing.valid &&
                marketingOverSupport !== null &&
                marketingOverSupport >= CONSENT_GOAL &&
                sqlPerRequest === 1,
            };
          },
        );
        const report = {
          goal: `marketing >= ${CONSENT_GOAL} x customer_support req/s at every size, one SQL statement per request`,
          comparisons,
          goalMet: comparisons.length === 0 ? null : comparisons.every((c) => c.goalMet),
        };
        if (rows.length > 0) {
          console.log('');
          console.log(
            'Consent: the same page for customer_support and for marketing (consenting contacts only)',
          );
          for (const c of comparisons) {
            console.log(
              `first=${c.size}: support ${c.support ?? 'n/a'}, marketing ${c.marketing ?? 'n/a'}, ` +
                `marketing/support ${pairText(c.judged)}, SQL/req ${c.sqlPerRequest ?? 'n/a'}, ` +
                `goal (>= ${CONSENT_GOAL.toFixed(2)}x, 1 statement) ${verdict(c.goalMet)}`,
            );
          }
        }
        return { json: { consent: { ...report, recording } }, goals: [report.goalMet] };
      },
    };
  },
};
