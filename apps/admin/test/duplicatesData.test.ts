import type { HttpError } from 'react-admin';
import { describe, expect, it } from 'vitest';
import { choosePurpose, startSession } from '../src/auth/session';
import { createDataProvider } from '../src/data/dataProvider';
import type { DuplicateActions } from '../src/data/duplicates';
import { type Call, fakeToken, json, recordingFetch } from './support';

const variables = (call: Call | undefined) => (call?.body as { variables?: unknown } | undefined)?.variables;

function providerFor(role: 'privacy_officer' | 'marketer', purpose: string, answers: (() => Response)[]) {
  startSession(fakeToken({ sub: 'olga', roles: [role] }));
  choosePurpose(purpose);
  const { fetch, calls } = recordingFetch(answers);
  return {
    provider: createDataProvider({ fetch }) as ReturnType<typeof createDataProvider> & DuplicateActions,
    calls,
  };
}

const contact = (id: string) => ({ id, fullName: null, email: null });
const queue = () =>
  json({
    data: {
      contactDuplicates: {
        totalCount: 1,
        pageInfo: { hasNextPage: false, endCursor: 'x' },
        edges: [
          {
            node: {
              id: 'p1',
              contact: contact('c1'),
              existingContact: contact('c2'),
              detectedForPurpose: 'sales',
              detectedAt: '2026-03-04T05:06:07.000Z',
              resolution: null,
              resolvedAt: null,
            },
          },
        ],
      },
    },
    extensions: {
      redactions: [
        {
          path: ['contactDuplicates', 'edges', 0, 'node', 'existingContact', 'email'],
          field: 'Contact.email',
          reason: 'PROCESSING_RESTRICTED',
        },
        {
          path: ['contactDuplicates', 'edges', 0, 'node', 'contact', 'fullName'],
          field: 'Contact.fullName',
          reason: 'PURPOSE_NOT_ALLOWED',
        },
      ],
    },
  });

describe('the duplicate review queue in the dataProvider', () => {
  it('sends a known state only (the open pairs otherwise), and keeps each contact’s redactions on it', async () => {
    const { provider, calls } = providerFor('privacy_officer', 'compliance', [queue, queue]);
    const list = (filter: Record<string, unknown>) =>
      provider.getList('contactDuplicates', { pagination: { page: 1, perPage: 10 }, filter });
    const { data } = await list({ status: 'RESOLVED' });
    await list({ status: 'something else' });
    expect(variables(calls[0])).toEqual({ first: 10, after: null, status: 'RESOLVED' });
    expect(variables(calls[1])).toEqual({ first: 10, after: null, status: 'OPEN' });
    const [pair] = data;
    // Each reason on the contact whose field it nulled, none on the pair itself.
    expect(pair?.contact.__redactions).toEqual({ fullName: 'PURPOSE_NOT_ALLOWED' });
    expect(pair?.existingContact.__redactions).toEqual({ email: 'PROCESSING_RESTRICTED' });
    expect(pair?.__redactions).toEqual({});
  });

  it('refuses before any request a resolution the API does not have, and a purpose that may not resolve', async () => {
    const officer = providerFor('privacy_officer', 'compliance', []);
    const unknown = (await officer.provider
      .resolveContactDuplicate({ id: 'p1', resolution: 'MERGED' as never })
      .catch((error: unknown) => error)) as HttpError;
    expect(unknown.status).toBe(400);
    expect(officer.calls).toHaveLength(0);
    const marketer = providerFor('marketer', 'marketing', []);
    const refused = (await marketer.provider
      .resolveContactDuplicate({ id: 'p1', resolution: 'SAME_PERSON' })
      .catch((error: unknown) => error)) as HttpError;
    expect(refused.status).toBe(403);
    expect(marketer.calls).toHaveLength(0);
  });
});
