import type { HttpError } from 'react-admin';
import { describe, expect, it } from 'vitest';
import { choosePurpose, startSession } from '../src/auth/session';
import type { ConsentActions } from '../src/data/consents';
import { createDataProvider } from '../src/data/dataProvider';
import { type Call, fakeToken, json, recordingFetch } from './support';

const sent = (call: Call | undefined) =>
  (call?.body ?? {}) as { query?: string; variables?: Record<string, unknown> };

const signedIn = (role: 'privacy_officer' | 'marketer' | 'analyst', purpose?: string) => {
  startSession(fakeToken({ sub: 'olga', roles: [role] }));
  if (purpose) choosePurpose(purpose);
};

const eventNode = (id: string, seq: number) => ({ id, seq, purpose: 'marketing', status: 'GRANTED' });

describe('the consent ledger', () => {
  it('pages a contact’s history by cursor, with its id as a variable', async () => {
    signedIn('privacy_officer', 'compliance');
    const { fetch, calls } = recordingFetch([
      () =>
        json({
          data: {
            consentHistory: {
              totalCount: 3,
              pageInfo: { hasNextPage: true, endCursor: 'after-2' },
              edges: [{ node: eventNode('e1', 1) }, { node: eventNode('e2', 2) }],
            },
          },
        }),
      () =>
        json({
          data: {
            consentHistory: {
              totalCount: 3,
              pageInfo: { hasNextPage: false, endCursor: 'after-3' },
              edges: [{ node: eventNode('e3', 3) }],
            },
          },
        }),
    ]);
    const provider = createDataProvider({ fetch });
    const reference = (page: number) =>
      provider.getManyReference('consents', {
        target: 'contactId',
        id: 'c-1',
        pagination: { page, perPage: 2 },
        sort: { field: 'id', order: 'ASC' },
        filter: {},
      });
    const first = await reference(1);
    expect(first.data.map((row) => row.id)).toEqual(['e1', 'e2']);
    expect(first.total).toBe(3);
    expect(sent(calls[0]).variables).toEqual({ contactId: 'c-1', first: 2, after: null });
    expect(sent(calls[0]).query).toMatch(/query ConsoleConsentHistory\(\$contactId: ID!/);
    await reference(2);
    expect(sent(calls[1]).variables).toEqual({ contactId: 'c-1', first: 2, after: 'after-2' });
    expect(calls[1]?.headers.get('x-purpose')).toBe('compliance');
  });

  it('reads a receipt with its redacted pseudonym, and a receipt the purpose may not see is a 404', async () => {
    signedIn('privacy_officer', 'compliance');
    const { fetch, calls } = recordingFetch([
      () =>
        json({
          data: { consentReceipt: { recordId: 'e1', subjectPseudonym: null, verification: { method: 'X' } } },
          extensions: {
            redactions: [
              {
                path: ['consentReceipt', 'subjectPseudonym'],
                field: 'ConsentReceipt.subjectPseudonym',
                reason: 'PURPOSE_NOT_ALLOWED',
              },
            ],
          },
        }),
      () => json({ data: { consentReceipt: null } }),
    ]);
    const provider = createDataProvider({ fetch });
    const { data } = await provider.getOne('consentReceipts', { id: 'e1' });
    expect(data).toMatchObject({ id: 'e1', __redactions: { subjectPseudonym: 'PURPOSE_NOT_ALLOWED' } });
    expect(sent(calls[0]).variables).toEqual({ eventId: 'e1' });
    expect(sent(calls[0]).query).toMatch(/verification \{\s+method\s+verifiedAt\s+messageId/);
    const missing = (await provider
      .getOne('consentReceipts', { id: 'e9' })
      .catch((e: unknown) => e)) as HttpError;
    expect(missing.status).toBe(404);
  });
});

describe('the consent actions', () => {
  it('withdraw and object send the method and the evidence source as variables; a blank source is none', async () => {
    signedIn('privacy_officer', 'compliance');
    const { fetch, calls } = recordingFetch([
      () => json({ data: { withdrawConsent: { id: 'e5', status: 'WITHDRAWN' } } }),
      () => json({ data: { objectToProcessing: { id: 'e6', status: 'OBJECTED' } } }),
    ]);
    const provider = createDataProvider({ fetch }) as unknown as ConsentActions;
    const withdrawn = await provider.withdrawConsent({
      contactId: 'c-1',
      purpose: 'marketing',
      source: ' ticket 812 ',
    });
    expect(withdrawn.data).toEqual({ id: 'e5', status: 'WITHDRAWN' });
    expect(sent(calls[0]).query).toMatch(/mutation ConsoleWithdrawConsent/);
    expect(sent(calls[0]).variables).toEqual({
      contactId: 'c-1',
      purpose: 'marketing',
      method: 'ADMIN',
      evidence: { source: 'ticket 812' },
    });
    await provider.objectToProcessing({ contactId: 'c-1', purpose: 'sales', method: 'EMAIL', source: '  ' });
    expect(sent(calls[1]).query).toMatch(/mutation ConsoleObjectToProcessing/);
    expect(sent(calls[1]).variables).toEqual({
      contactId: 'c-1',
      purpose: 'sales',
      method: 'EMAIL',
      evidence: null,
    });
  });

  it('record sends RecordConsentInput, and its problems come back under their fields', async () => {
    signedIn('privacy_officer', 'compliance');
    const { fetch, calls } = recordingFetch([
      () =>
        json({
          errors: [
            {
              message: 'evidence.source: is required to record a consent',
              extensions: {
                code: 'BAD_USER_INPUT',
                problems: [
                  { field: 'evidence.source', rule: 'required', message: 'is required to record a consent' },
                ],
              },
            },
          ],
        }),
    ]);
    const error = (await createDataProvider({ fetch })
      .create('consents', {
        data: {
          contactId: 'c-1',
          purpose: 'marketing',
          status: 'GRANTED',
          method: 'PHONE',
          noticeVersion: '2026-01',
          evidence: { source: '' },
        },
      })
      .catch((e: unknown) => e)) as HttpError;
    expect(sent(calls[0]).variables).toEqual({
      input: {
        contactId: 'c-1',
        purpose: 'marketing',
        status: 'GRANTED',
        method: 'PHONE',
        noticeVersion: '2026-01',
        evidence: null,
      },
    });
    expect(error.status).toBe(400);
    expect(error.body.errors['evidence.source']).toBe('is required to record a consent');
  });

  it('are refused before the gateway where the purpose may not (a marketer may withdraw but not read the ledger)', async () => {
    signedIn('marketer', 'marketing');
    const { fetch, calls } = recordingFetch([
      () => json({ data: { withdrawConsent: { id: 'e7', status: 'WITHDRAWN' } } }),
    ]);
    const provider = createDataProvider({ fetch });
    const history = (await provider
      .getManyReference('consents', {
        target: 'contactId',
        id: 'c-1',
        pagination: { page: 1, perPage: 10 },
        sort: { field: 'id', order: 'ASC' },
        filter: {},
      })
      .catch((e: unknown) => e)) as HttpError;
    expect(history.status).toBe(403);
    expect(calls).toHaveLength(0);
    await (provider as unknown as ConsentActions).withdrawConsent({ contactId: 'c-1', purpose: 'marketing' });
    expect(calls).toHaveLength(1);
    signedIn('analyst');
    const refused = (await (provider as unknown as ConsentActions)
      .objectToProcessing({ contactId: 'c-1', purpose: 'sales' })
      .catch((e: unknown) => e)) as HttpError;
    expect(refused.status).toBe(403);
    expect(calls).toHaveLength(1);
  });
});
