import { render, screen, waitFor } from '@testing-library/react';
import { Admin, type DataProvider, HttpError, Resource } from 'react-admin';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createAuthProvider } from '../src/auth/authProvider';
import { endSession, startSession } from '../src/auth/session';
import { contacts } from '../src/contacts';
import { createQueryClient, shouldRetry } from '../src/data/queryClient';
import { i18nProvider } from '../src/i18n';
import { Layout } from '../src/layout/Layout';
import { fakeToken } from './support';

// A refusal answers the same the next time: the console asks once (each refusal is an audited event on the server)
// and says so at once; a failure of the network or the server is asked again, at most twice.

/**
 * A contact's consent tab, whose tables the dataProvider refuses (react-admin's own list, show and edit pages never
 * retry; the queries of a tab, a dialog or the dashboard follow the query client).
 */
function renderConsentTab(failure: () => Error) {
  startSession(fakeToken({ sub: 'sam', roles: ['privacy_officer'] }));
  window.location.hash = '#/contacts/c-1/show/consent';
  const getManyReference = vi.fn(async () => {
    throw failure();
  });
  const getOne = vi.fn(async () => ({ data: { id: 'c-1', fullName: 'Ann Example', __redactions: {} } }));
  render(
    <Admin
      authProvider={createAuthProvider()}
      dataProvider={{ getOne, getManyReference } as unknown as DataProvider}
      queryClient={createQueryClient()}
      i18nProvider={i18nProvider}
      layout={Layout}
      requireAuth
      disableTelemetry
    >
      <Resource {...contacts} />
    </Admin>,
  );
  return getManyReference;
}

/** How many times each distinct request (resource and parameters) was sent. */
function timesEach(calls: readonly unknown[][]): number[] {
  const counts = new Map<string, number>();
  for (const call of calls) counts.set(JSON.stringify(call), (counts.get(JSON.stringify(call)) ?? 0) + 1);
  return [...counts.values()];
}

afterEach(() => endSession());

describe('retries of failed queries', () => {
  it('asks once when the server refuses (403) and shows its message', async () => {
    const getManyReference = renderConsentTab(
      () => new HttpError('Operation not allowed for this purpose (FORBIDDEN)', 403, { code: 'FORBIDDEN' }),
    );
    // The notification comes with the first answer, not after react-query's retries (1 + 2 + 4 s).
    await screen.findByText('Operation not allowed for this purpose (FORBIDDEN)', {}, { timeout: 900 });
    const sent = getManyReference.mock.calls.length;
    expect(sent).toBeGreaterThan(0);
    // Long enough for the first retry (1 s) to have been sent were it going to be.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(getManyReference.mock.calls.length).toBe(sent);
  });

  it('asks twice more when the server fails (503), then gives up', async () => {
    const getManyReference = renderConsentTab(() => new HttpError('Service unavailable', 503, {}));
    // The same request three times: the first and two retries (after 1 s and 2 s)…
    await waitFor(() => expect(Math.max(0, ...timesEach(getManyReference.mock.calls))).toBe(3), {
      timeout: 6_000,
    });
    await screen.findByText('Service unavailable');
    const sent = getManyReference.mock.calls.length;
    // …and no fourth: past the time it would have been sent (4 s more).
    await new Promise((resolve) => setTimeout(resolve, 4_500));
    expect(getManyReference.mock.calls.length).toBe(sent);
    expect(Math.max(...timesEach(getManyReference.mock.calls))).toBe(3);
  }, 15_000);

  it('retries network failures and server errors, never a client error', () => {
    for (const status of [400, 401, 403, 404, 409, 422]) {
      expect(shouldRetry(0, new HttpError('refused', status))).toBe(false);
    }
    for (const error of [
      new HttpError('down', 500),
      new HttpError('down', 503),
      new TypeError('fetch failed'),
    ]) {
      expect(shouldRetry(0, error)).toBe(true);
      expect(shouldRetry(1, error)).toBe(true);
      expect(shouldRetry(2, error)).toBe(false);
    }
  });
});
