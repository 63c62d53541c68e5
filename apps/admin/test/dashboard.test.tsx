import { mayRunOperation, PURPOSE_DEFINITIONS, PURPOSES } from '@custos/policy';
import { configure, screen, within } from '@testing-library/react';
import { CustomRoutes, HttpError, Resource } from 'react-admin';
import { Route } from 'react-router-dom';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { createAuthProvider } from '../src/auth/authProvider';
import { contacts } from '../src/contacts';
import { Dashboard } from '../src/dashboard/Dashboard';
import { en } from '../src/i18n/en';
import { ProcessingPage } from '../src/processing/ProcessingPage';
import { renderSignedIn } from './console';

configure({ asyncUtilTimeout: 5000 });

beforeAll(() => {
  // jsdom has no ResizeObserver; the charts only need it to exist.
  globalThis.ResizeObserver ??= class {
    observe() {}
    unobserve() {}
    disconnect() {}
  } as unknown as typeof ResizeObserver;
});

const shown = (value: number) => ({ value, suppressed: false, fewerThan: null });
const small = { value: null, suppressed: true, fewerThan: 5 };
const withheld = { value: null, suppressed: true, fewerThan: null };

const TREND = {
  bucket: 'MONTH',
  from: '2026-09-01T00:00:00.000Z',
  to: '2026-11-01T00:00:00.000Z',
  minimumCell: 5,
  points: [
    {
      start: '2026-09-01T00:00:00.000Z',
      purpose: 'marketing',
      granted: shown(7),
      denied: small,
      withdrawn: withheld,
      objected: shown(0),
    },
    {
      start: '2026-10-01T00:00:00.000Z',
      purpose: 'marketing',
      granted: shown(12),
      denied: shown(0),
      withdrawn: shown(0),
      objected: shown(6),
    },
  ],
};
const RATES = {
  minimumCell: 5,
  liveContacts: shown(40),
  purposes: [
    {
      purpose: 'marketing',
      granted: shown(20),
      denied: withheld,
      withdrawn: withheld,
      objected: shown(0),
      noAnswer: shown(15),
      grantedShare: 0.5,
    },
  ],
};
const ALERTS = {
  open: 3,
  acknowledged: 1,
  rules: [{ ruleId: 'off-hours', kind: 'OFF_HOURS', open: 3, acknowledged: 1 }],
};
const REVIEWS = {
  open: 2,
  byAge: [
    { age: 'UNDER_1_DAY', open: 0 },
    { age: 'DAYS_1_TO_7', open: 2 },
    { age: 'DAYS_7_TO_30', open: 0 },
    { age: 'OVER_30_DAYS', open: 0 },
  ],
};

function memoryProvider(failRates = false) {
  return {
    getList: vi.fn(async () => ({ data: [], total: 0 })),
    consentTrend: vi.fn(async () => TREND),
    consentRates: vi.fn(async () => {
      if (failRates) throw new HttpError('Not allowed (FORBIDDEN)', 403, { code: 'FORBIDDEN' });
      return RATES;
    }),
    alertSummary: vi.fn(async () => ALERTS),
    duplicateReviewSummary: vi.fn(async () => REVIEWS),
  };
}

function renderConsole(
  role: 'privacy_officer' | 'support_agent' | 'admin',
  purpose: string,
  hash = '#/',
  failRates = false,
  authProvider = createAuthProvider(),
) {
  const provider = memoryProvider(failRates);
  renderSignedIn({
    role,
    purpose,
    hash,
    authProvider,
    dataProvider: provider,
    dashboard: Dashboard,
    children: [
      <Resource key="contacts" {...contacts} />,
      <CustomRoutes key="routes">
        <Route path="/processing" element={<ProcessingPage />} />
      </CustomRoutes>,
    ],
  });
  return provider;
}

const cellsOf = (row: HTMLElement) =>
  within(row)
    .getAllByRole('cell')
    .map((cell) => cell.textContent);

describe('the dashboard', { timeout: 30_000 }, () => {
  it('shows the counts for compliance, a withheld one as "fewer than" or "withheld", never 0', async () => {
    const provider = renderConsole('privacy_officer', 'compliance');
    const trend = await screen.findByRole('table', { name: /Consent ledger events for Marketing/ });
    const september = within(trend).getByRole('rowheader', { name: 'Sep 2026' }).closest('tr') as HTMLElement;
    expect(cellsOf(september)).toEqual(['7', 'fewer than 5', 'withheld', '0']);
    const october = within(trend).getByRole('rowheader', { name: 'Oct 2026' }).closest('tr') as HTMLElement;
    expect(cellsOf(october)).toEqual(['12', '0', '0', '6']);

    const rates = await screen.findByRole('table', { name: /Live contacts \(40\)/ });
    const marketing = within(rates)
      .getByRole('rowheader', { name: 'Marketing' })
      .closest('tr') as HTMLElement;
    expect(cellsOf(marketing)).toEqual(['20', 'withheld', 'withheld', '0', '15', '50.0 %']);

    const alerts = await screen.findByRole('table', { name: /3 open, 1 acknowledged/ });
    const rule = within(alerts).getByRole('rowheader', { name: 'off-hours' }).closest('tr') as HTMLElement;
    expect(cellsOf(rule)).toEqual(['OFF_HOURS', '3', '1']);

    const reviews = await screen.findByRole('table', { name: /Open duplicate reviews \(2\)/ });
    const week = within(reviews).getByRole('rowheader', { name: '1 to 7 days' }).closest('tr') as HTMLElement;
    expect(cellsOf(week)).toEqual(['2']);
    // The queue the counts are about, one link away (compliance may list it).
    const queue = within(reviews.closest('section') as HTMLElement).getByRole('link');
    expect([queue.textContent, queue.getAttribute('href')]).toEqual([
      'Open the duplicate review queue',
      '#/contactDuplicates',
    ]);

    for (const query of ['consentTrend', 'consentRates', 'alertSummary', 'duplicateReviewSummary'] as const) {
      expect(provider[query]).toHaveBeenCalledTimes(1);
    }
  });

  it('shows the server refusal of one aggregate in place and the others still', async () => {
    renderConsole('privacy_officer', 'compliance', '#/', true);
    await screen.findByText('This part could not be loaded: Not allowed (FORBIDDEN)');
    expect(await screen.findByRole('table', { name: /Consent ledger events/ })).toBeDefined();
    expect(screen.queryByRole('table', { name: /Live contacts/ })).toBeNull();
  });

  it('shows administration the open reviews without a link to a queue it may not list', async () => {
    expect(mayRunOperation('administration', 'Query.duplicateReviewSummary')).toBe(true);
    expect(mayRunOperation('administration', 'Query.contactDuplicates')).toBe(false);
    renderConsole('admin', 'administration');
    await screen.findByRole('table', { name: /Open duplicate reviews \(2\)/ });
    expect(screen.queryByRole('link', { name: 'Open the duplicate review queue' })).toBeNull();
  });

  it('welcomes a purpose that may not run the aggregates, and asks for none', async () => {
    const provider = renderConsole('support_agent', 'customer_support');
    await screen.findByText(/Welcome to the privacy console/);
    expect(screen.queryByRole('table')).toBeNull();
    expect(screen.queryByRole('heading', { name: 'Consent events per month' })).toBeNull();
    for (const query of ['consentTrend', 'consentRates', 'alertSummary', 'duplicateReviewSummary'] as const) {
      expect(provider[query]).not.toHaveBeenCalled();
    }
  });
});

describe('the processing page', () => {
  it('lists every purpose of the policy with its description, and the record of processing', async () => {
    renderConsole('support_agent', 'customer_support', '#/processing');
    await screen.findByRole('heading', { name: 'Processing purposes', level: 1 });
    expect(PURPOSES.length).toBeGreaterThan(0);
    for (const purpose of PURPOSES) {
      const section = screen.getByRole('region', { name: new RegExp(`\\b${purpose}\\b`) });
      expect(within(section).getByText(PURPOSE_DEFINITIONS[purpose].description)).toBeDefined();
    }
    const record = screen.getAllByRole('region', { name: 'Record of processing activities (GDPR Art 30)' });
    expect(record.at(-1)?.textContent).toContain('## Purposes of processing');
  });

  it('is in the menu where canAccess, from the policy, lets the purpose read the purposes of processing', async () => {
    expect(mayRunOperation('customer_support', 'Query.purposes')).toBe(true);
    renderConsole('support_agent', 'customer_support', '#/');
    const item = await screen.findByRole('menuitem', { name: en.custos.processing.menu });
    expect(item.getAttribute('href')).toBe('#/processing');
  });

  it('is neither in the menu nor opened where canAccess refuses it', async () => {
    const own = createAuthProvider();
    // The console's own answers, but for the processing page.
    const narrowed = {
      ...own,
      canAccess: async (params: { action: string; resource: string }) =>
        params.resource !== 'processing' && (await own.canAccess!(params as never)),
    };
    renderConsole('support_agent', 'customer_support', '#/processing', false, narrowed);
    await screen.findByText(en.ra.page.access_denied);
    // The menu is there (its other items), without Processing; the page's content is not.
    await screen.findByRole('menuitem', { name: en.resources.contacts.name.split(' |||| ')[1] });
    expect(screen.queryByRole('menuitem', { name: en.custos.processing.menu })).toBeNull();
    expect(screen.queryByRole('heading', { name: en.custos.processing.title })).toBeNull();
  });
});
