import type { HttpError } from 'react-admin';
import { describe, expect, it } from 'vitest';
import { choosePurpose, startSession } from '../src/auth/session';
import type { DashboardQueries } from '../src/data/dashboard';
import { createDataProvider } from '../src/data/dataProvider';
import { fakeToken, json, recordingFetch } from './support';

const QUERIES = ['consentTrend', 'consentRates', 'alertSummary', 'duplicateReviewSummary'] as const;

const signedIn = (role: 'privacy_officer' | 'admin' | 'support_agent', purpose: string) => {
  startSession(fakeToken({ sub: 'olga', roles: [role] }));
  choosePurpose(purpose);
};

const dashboard = (fetch: typeof globalThis.fetch) =>
  createDataProvider({ fetch }) as unknown as DashboardQueries;

describe('the dashboard queries of the dataProvider', () => {
  it.each([
    ['privacy_officer', 'compliance'],
    ['admin', 'administration'],
  ] as const)(
    'as %s (%s), sends each aggregate query with the declared purpose and answers its field',
    async (role, purpose) => {
      signedIn(role, purpose);
      const answers = QUERIES.map((query, index) => () => json({ data: { [query]: { marker: index } } }));
      const { fetch, calls } = recordingFetch(answers);
      const provider = dashboard(fetch);
      for (const [index, query] of QUERIES.entries()) {
        expect(await provider[query]()).toEqual({ marker: index });
        const call = calls[index];
        expect(call).toBeDefined();
        const body = call!.body as { query: string; variables: object };
        expect(call!.headers.get('x-purpose')).toBe(purpose);
        expect(body.query).toMatch(new RegExp(`\\{\\s*${query}\\b`));
        expect(body.variables).toEqual({});
      }
      expect(calls).toHaveLength(QUERIES.length);
    },
  );

  it('refuses them for a purpose that may not run them, before any request', async () => {
    signedIn('support_agent', 'customer_support');
    const { fetch, calls } = recordingFetch([]);
    const provider = dashboard(fetch);
    for (const query of QUERIES) {
      const error = (await provider[query]().catch((caught: unknown) => caught)) as HttpError;
      expect(error.status).toBe(403);
      expect((error.body as { code: string }).code).toBe('FORBIDDEN');
    }
    expect(calls).toHaveLength(0);
  });
});
