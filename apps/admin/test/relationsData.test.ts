import { describe, expect, it } from 'vitest';
import { choosePurpose, startSession } from '../src/auth/session';
import { createDataProvider } from '../src/data/dataProvider';
import { type Call, fakeToken, json, recordingFetch } from './support';

const sent = (call: Call | undefined) =>
  (call?.body ?? {}) as { query?: string; variables?: Record<string, unknown> };

const signedIn = (role: 'support_agent' | 'admin' | 'analyst', purpose: string) => {
  startSession(fakeToken({ sub: 'olga', roles: [role] }));
  choosePurpose(purpose);
};

const reference = (page = 1, perPage = 2) =>
  ({
    target: 'contactId',
    id: 'c-1',
    pagination: { page, perPage },
    sort: { field: 'id', order: 'ASC' },
    filter: {},
  }) as const;

/** The relations each resource reads through `contact(id)`, as the supergraph names them. */
const RELATIONS = { interactions: 'interactions', tickets: 'ticketConnection' } as const;

describe('a contact’s relations through the gateway', () => {
  for (const [resource, relation] of Object.entries(RELATIONS)) {
    it(`${resource}: pages contact(id).${relation} by cursor, the contact id and cursor as variables`, async () => {
      signedIn('support_agent', 'customer_support');
      const page = (ids: string[], endCursor: string, hasNextPage: boolean) => () =>
        json({
          data: {
            contact: {
              id: 'c-1',
              [relation]: {
                totalCount: 3,
                pageInfo: { hasNextPage, endCursor },
                edges: ids.map((id) => ({ node: { id, subject: null } })),
              },
            },
          },
          extensions: {
            redactions: [
              {
                path: ['contact', relation, 'edges', 0, 'node', 'subject'],
                field: 'subject',
                reason: 'PURPOSE_NOT_ALLOWED',
              },
            ],
          },
        });
      const { fetch, calls } = recordingFetch([
        page(['a', 'b'], 'after-b', true),
        page(['c'], 'after-c', false),
      ]);
      const provider = createDataProvider({ fetch });
      const first = await provider.getManyReference(resource, reference(1));
      expect(first.data.map((row) => row.id)).toEqual(['a', 'b']);
      expect(first.total).toBe(3);
      // Each row keeps the reasons of its own redacted fields.
      expect(first.data.map((row) => row.__redactions)).toEqual([{ subject: 'PURPOSE_NOT_ALLOWED' }, {}]);
      expect(sent(calls[0]).variables).toEqual({ contactId: 'c-1', first: 2, after: null });
      expect(sent(calls[0]).query).toMatch(
        new RegExp(
          `contact\\(id: \\$contactId\\) \\{\\s*id\\s*${relation}\\(first: \\$first, after: \\$after\\)`,
        ),
      );
      await provider.getManyReference(resource, reference(2));
      expect(sent(calls[1]).variables).toEqual({ contactId: 'c-1', first: 2, after: 'after-b' });
      expect(calls[1]?.headers.get('x-purpose')).toBe('customer_support');
    });

    it(`${resource}: a relation answered null with its redaction is a redacted page, not an empty one`, async () => {
      signedIn('admin', 'administration');
      const { fetch } = recordingFetch([
        () =>
          json({
            data: { contact: { id: 'c-1', [relation]: null } },
            extensions: {
              redactions: [
                {
                  path: ['contact', relation],
                  field: `Contact.${relation}`,
                  category: 'user.behavior',
                  reason: 'PURPOSE_NOT_ALLOWED',
                },
              ],
            },
          }),
      ]);
      const result = await createDataProvider({ fetch }).getManyReference(resource, reference());
      expect(result).toEqual({ data: [], total: 0, meta: { redaction: 'PURPOSE_NOT_ALLOWED' } });
    });

    it(`${resource}: a contact the purpose does not see is NOT_FOUND, and no purpose without the operation asks`, async () => {
      signedIn('support_agent', 'customer_support');
      const { fetch } = recordingFetch([() => json({ data: { contact: null } })]);
      await expect(
        createDataProvider({ fetch }).getManyReference(resource, reference()),
      ).rejects.toMatchObject({ status: 404, body: { code: 'NOT_FOUND' } });
      signedIn('analyst', 'analytics');
      const refused = recordingFetch([]);
      await expect(
        createDataProvider({ fetch: refused.fetch }).getManyReference(resource, reference()),
      ).rejects.toMatchObject({ status: 403 });
      expect(refused.calls).toHaveLength(0);
    });
  }
});
