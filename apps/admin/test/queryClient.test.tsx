import { screen, waitFor } from '@testing-library/react';
import { HttpError } from 'react-admin';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { endSession, startSession } from '../src/auth/session';
import { contacts } from '../src/contacts';
import { shouldRetry } from '../src/data/queryClient';
import { en } from '../src/i18n/en';
import { renderAdmin } from './renderAdmin';
import { fakeToken } from './support';

// A refusal answers the same the next time: the console asks once (each refusal is an audited event on the server)
// and says so at once; a failure of the network or the server is asked again, at most twice. Shown on a contact's
// consent tab (react-admin's own list, show and edit pages never retry; the queries of a tab, a dialog or the
// dashboard follow the console's query client, which renderAdmin uses as App.tsx does).

/**
 * Opens the consent tab with its tables failing with `failure`, and waits until both show their error: react-query
 * reports an error only once it has stopped retrying, so every request there will be has been sent.
 * Answers how many times the ledger's request (one observer, one query) was sent.
 */
async function ledgerRequestsUntilFailed(failure: () => Error): Promise<number> {
  startSession(fakeToken({ sub: 'sam', roles: ['privacy_officer'] }));
  window.location.hash = '#/contacts/c-1/show/consent';
  const getManyReference = vi.fn(async (_resource: string, _params: unknown) => {
    throw failure();
  });
  const getOne = vi.fn(async () => ({ data: { id: 'c-1', fullName: 'Ann Example', __redactions: {} } }));
  renderAdmin({ getOne, getManyReference }, [contacts]);
  await waitFor(() => expect(screen.getAllByText(en.custos.consent.load_failed)).toHaveLength(2), {
    timeout: 20_000,
  });
  const ledger = getManyReference.mock.calls.filter(([resource]) => resource === 'consents');
  const states = getManyReference.mock.calls.filter(([resource]) => resource === 'consentStates');
  expect(states.length).toBeGreaterThan(0);
  return ledger.length;
}

afterEach(() => endSession());

describe('retries of failed queries', { timeout: 30_000 }, () => {
  it('asks once when the server refuses (403), and shows its message and code', async () => {
    const sent = await ledgerRequestsUntilFailed(
      () => new HttpError('Operation not allowed for this purpose (FORBIDDEN)', 403, { code: 'FORBIDDEN' }),
    );
    expect(sent).toBe(1);
    await screen.findByText('Operation not allowed for this purpose (FORBIDDEN)');
  });

  it('asks twice more when the server fails (503), then gives up and says so', async () => {
    const sent = await ledgerRequestsUntilFailed(() => new HttpError('Service unavailable', 503, {}));
    expect(sent).toBe(3);
    await screen.findByText('Service unavailable');
  });

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
