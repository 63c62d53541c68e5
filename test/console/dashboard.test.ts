import { randomUUID } from 'node:crypto';
import { PURPOSE_DEFINITIONS, PURPOSES } from '@custos/policy';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { screenshot, seriousViolations, signIn, useConsoleStack, withPage } from './support/stack.js';

// Issue 15, end to end in Chromium against the real gateway, subgraph and PostgreSQL: the dashboard of a privacy
// officer (compliance) charts the server's aggregates, and its tables give the counts — a month's count of 5 or
// more as the number, a count between 1 and 4 as "withheld", never as 0; a support agent gets a welcome page and
// sends no aggregate query; the processing page lists every purpose of the policy.

const started = useConsoleStack();

const AGGREGATES = ['consentTrend', 'consentRates', 'alertSummary', 'duplicateReviewSummary'];
/** The sections that always have something to chart (alerts have none while no rule exists). */
const CHARTED = ['Consent events per month', 'Current consent per purpose', 'Open duplicate reviews by age'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** The UTC month two months before this one: complete, and inside the trend's default 12 months. */
const now = new Date();
const monthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 2, 1));
const nextMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
const monthText = `${MONTHS[monthStart.getUTCMonth()]} ${monthStart.getUTCFullYear()}`;
const GRANTED = 7;
const DENIED = 3;

let contactIndex = 0;
/** One new contact with one marketing ledger event recorded on `day` of the month (seq 1 of its own ledger). */
async function insertEvent(status: string, day: number) {
  const id = `31000000-0000-4000-8000-${String(++contactIndex).padStart(12, '0')}`;
  const at = new Date(Date.UTC(monthStart.getUTCFullYear(), monthStart.getUTCMonth(), day, 12));
  await started().custos.sql(
    `insert into contact (id, full_name, email, restricted, created_at, updated_at, erased_at)
     values ($1, 'Dashboard Person', $2, false, now(), now(), null)`,
    [id, `console-dash-${contactIndex}@example.org`],
  );
  await started().custos.sql(
    `insert into consent_event (id, contact_id, seq, purpose, status, method, captured_at, recorded_at, recorded_by,
       hash) values ($1, $2, 1, 'marketing', $3, 'ADMIN', $4, $4, 'fixture', repeat('0', 64))`,
    [randomUUID(), id, status, at],
  );
}

/** The ledger's marketing events of that month with `status`, counted in SQL. */
async function ledgerCount(status: string): Promise<number> {
  const [row] = await started().custos.sql<{ n: number }>(
    `select count(*)::int as n from consent_event
      where purpose = 'marketing' and status = $1 and recorded_at >= $2 and recorded_at < $3`,
    [status, monthStart, nextMonth],
  );
  return row!.n;
}

type Count = { value: number | null; suppressed: boolean; fewerThan: number | null };

/** The officer's trend for marketing that month, from the API. */
async function apiMonth() {
  const res = await started().custos.gql<{
    consentTrend: { points: ({ start: string; purpose: string } & Record<string, Count>)[] };
  }>(
    `{ consentTrend(bucket: MONTH) { points { start purpose
        granted { value suppressed fewerThan } denied { value suppressed fewerThan }
        withdrawn { value suppressed fewerThan } objected { value suppressed fewerThan } } } }`,
    { token: await started().custos.token(['privacy_officer'], 'officer-dash-api'), purpose: 'compliance' },
  );
  expect(res.body.errors).toBeUndefined();
  const point = res.body.data!.consentTrend.points.find(
    (p) => p.purpose === 'marketing' && new Date(p.start).getTime() === monthStart.getTime(),
  );
  expect(point).toBeDefined();
  return point!;
}

/** The bodies of the GraphQL requests the page sends, with their declared purpose. */
function watchGraphql(page: Page) {
  const sent: { purpose: string | undefined; query: string }[] = [];
  page.on('request', (request) => {
    if (request.url().endsWith('/graphql') && request.method() === 'POST') {
      const body = JSON.parse(request.postData() ?? '{}') as { query?: string };
      sent.push({ purpose: request.headers()['x-purpose'], query: body.query ?? '' });
    }
  });
  return sent;
}

/** Whether the page has loaded the charts' code (a chunk of its own, vite.config.ts). */
function watchChartsCode(page: Page) {
  const scripts: string[] = [];
  page.on('request', (request) => {
    if (request.resourceType() === 'script') scripts.push(new URL(request.url()).pathname);
  });
  return {
    scripts,
    loaded: () => scripts.some((script) => /\/assets\/charts-[\w-]+\.js$/.test(script)),
  };
}

const aggregatesIn = (sent: { query: string }[]) =>
  AGGREGATES.filter((name) => sent.some((request) => new RegExp(`\\b${name}\\b`).test(request.query)));

describe('the dashboard and the processing page in Chromium', () => {
  it('as privacy officer (compliance), shows the month count and withholds the small one', async () => {
    for (let i = 0; i < GRANTED; i++) await insertEvent('GRANTED', 10);
    for (let i = 0; i < DENIED; i++) await insertEvent('DENIED', 11);
    // Expected from the ledger itself: the seed data, nothing else, that month.
    const granted = await ledgerCount('GRANTED');
    const denied = await ledgerCount('DENIED');
    expect(granted).toBe(GRANTED);
    expect(denied).toBe(DENIED);
    expect(granted).toBeGreaterThanOrEqual(5);
    expect(denied).toBeGreaterThanOrEqual(1);
    expect(denied).toBeLessThan(5);
    // The API says the same: the count, and the small cell withheld (a month: not said to be small).
    const point = await apiMonth();
    expect(point.granted).toEqual({ value: granted, suppressed: false, fewerThan: null });
    expect(point.denied).toEqual({ value: null, suppressed: true, fewerThan: null });

    await withPage(started(), async (page) => {
      const sent = watchGraphql(page);
      const charts = watchChartsCode(page);
      await signIn(started(), page, 'Privacy officer', 'officer-dash-e2e', '/');
      await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
      for (const title of [
        'Consent events per month',
        'Current consent per purpose',
        'Alerts by monitoring rule',
        'Open duplicate reviews by age',
      ]) {
        await page.getByRole('heading', { name: title, level: 2 }).waitFor();
      }
      await page.getByLabel('Purpose shown').click();
      await page.getByRole('option', { name: 'Marketing', exact: true }).click();
      await page.getByRole('listbox').waitFor({ state: 'detached' });
      const table = page.getByRole('table', { name: /Consent ledger events for Marketing per month/ });
      const row = table.getByRole('row').filter({ has: page.getByRole('rowheader', { name: monthText }) });
      await row.waitFor();
      // Granted, denied, withdrawn, objected: the count, withheld (not 0), and the true zeros.
      expect(await row.getByRole('cell').allTextContents()).toEqual([String(granted), 'withheld', '0', '0']);
      // A chart over each table (hidden from assistive technology: the table is its text alternative).
      for (const title of CHARTED) {
        const section = page.getByRole('region', { name: title, exact: true });
        expect(await section.locator('[data-custos-chart] svg').count()).toBeGreaterThan(0);
        expect(await section.getByRole('table').count()).toBe(1);
      }
      expect(aggregatesIn(sent)).toEqual(AGGREGATES);
      for (const request of sent) expect(request.purpose).toBe('compliance');
      expect(charts.loaded()).toBe(true);
      expect(await seriousViolations(page)).toEqual([]);
      await screenshot(page, 'dashboard-officer');
    });
  }, 120_000);

  it('as support agent, shows a welcome, no chart, and sends no aggregate query nor loads the chart code', async () => {
    await withPage(started(), async (page) => {
      const sent = watchGraphql(page);
      const charts = watchChartsCode(page);
      await signIn(started(), page, 'Support agent', 'agent-dash-e2e', '/');
      await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
      await page.getByText(/Welcome to the privacy console/).waitFor();
      expect(await page.locator('[data-custos-chart]').count()).toBe(0);
      expect(
        await page
          .locator('svg')
          .filter({ has: page.locator('rect') })
          .count(),
      ).toBe(0);
      expect(await page.getByRole('table').count()).toBe(0);
      expect(await seriousViolations(page)).toEqual([]);
      await screenshot(page, 'dashboard-support');
      // The watch sees the requests the console does send: the contacts list's.
      await page.goto(`${started().url}#/contacts`);
      await page.getByRole('link', { name: /show/i }).first().waitFor();
      expect(sent.length).toBeGreaterThan(0);
      expect(aggregatesIn(sent)).toEqual([]);
      // Nor the charts' code: the console's own scripts loaded, that chunk did not.
      expect(charts.scripts.some((script) => /\/assets\/index-[\w-]+\.js$/.test(script))).toBe(true);
      expect(charts.loaded()).toBe(false);
    });
  }, 120_000);

  it('lists every purpose of the policy, with its lawful basis, and the record of processing', async () => {
    await withPage(started(), async (page) => {
      await signIn(started(), page, 'Support agent', 'agent-processing-e2e', '/');
      await page.getByRole('menuitem', { name: 'Processing' }).click();
      await page.getByRole('heading', { name: 'Processing purposes', level: 1 }).waitFor();
      const headings = await page.getByRole('heading', { level: 2 }).allTextContents();
      expect(PURPOSES.length).toBeGreaterThan(0);
      const expected = [
        ...PURPOSES.map((purpose) => expect.stringContaining(purpose)),
        'Record of processing activities (GDPR Art 30)',
      ];
      expect(headings).toEqual(expected);
      for (const purpose of PURPOSES) {
        const section = page.getByRole('region', { name: new RegExp(`\\b${purpose}\\b`) });
        await section.getByText(PURPOSE_DEFINITIONS[purpose].description, { exact: true }).waitFor();
        const basis = PURPOSE_DEFINITIONS[purpose].lawfulBasis;
        expect(await section.textContent()).toMatch(
          {
            consent: /Art 6\(1\)\(a\)/,
            contract: /Art 6\(1\)\(b\)/,
            legal_obligation: /Art 6\(1\)\(c\)/,
            legitimate_interest: /Art 6\(1\)\(f\)/,
          }[basis],
        );
      }
      const record = page
        .getByRole('region', { name: 'Record of processing activities (GDPR Art 30)' })
        .last();
      expect(await record.textContent()).toContain('# Record of processing activities (GDPR Art 30)');
      expect(await seriousViolations(page)).toEqual([]);
      await screenshot(page, 'processing');
    });
  }, 120_000);
});
