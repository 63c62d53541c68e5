import type { HttpError } from 'react-admin';
import { describe, expect, it } from 'vitest';
import { choosePurpose, startSession } from '../src/auth/session';
import type { AuditActions } from '../src/data/audit';
import { createDataProvider } from '../src/data/dataProvider';
import { type Call, fakeToken, json, recordingFetch } from './support';

const sent = (call: Call | undefined) =>
  (call?.body ?? {}) as { query?: string; variables?: Record<string, unknown> };

const signedIn = (role: 'privacy_officer' | 'marketer') => {
  startSession(fakeToken({ sub: 'olga', roles: [role] }));
  choosePurpose(role === 'privacy_officer' ? 'compliance' : 'marketing');
};

const emptyConnection = (field: string) =>
  json({
    data: { [field]: { totalCount: 0, pageInfo: { hasNextPage: false, endCursor: null }, edges: [] } },
  });

describe('the audit dataProvider modules', () => {
  it('sends the audit list’s filters as variables, only those set, instants in UTC', async () => {
    signedIn('privacy_officer');
    const { fetch, calls } = recordingFetch([() => emptyConnection('auditEvents')]);
    const provider = createDataProvider({ fetch });
    const result = await provider.getList('auditEvents', {
      pagination: { page: 1, perPage: 25 },
      sort: { field: 'id', order: 'ASC' },
      filter: { actor: ' sam ', purpose: '', from: '2026-03-01T10:00:00+01:00', contactId: 'c-1' },
    });
    expect(result.total).toBe(0);
    expect(sent(calls[0]).variables).toEqual({
      first: 25,
      after: null,
      actor: 'sam',
      contactId: 'c-1',
      from: '2026-03-01T09:00:00.000Z',
    });
    expect(sent(calls[0]).query).toMatch(
      /auditEvents\(first: \$first, after: \$after, contactId: \$contactId/,
    );
  });

  it('filters alerts by a known state only, and acknowledges by id', async () => {
    signedIn('privacy_officer');
    const { fetch, calls } = recordingFetch([
      () => emptyConnection('auditAlerts'),
      () => emptyConnection('auditAlerts'),
      () => json({ data: { acknowledgeAuditAlert: { id: 'al-1', status: 'ACKNOWLEDGED' } } }),
    ]);
    const provider = createDataProvider({ fetch }) as ReturnType<typeof createDataProvider> & AuditActions;
    const list = (filter: Record<string, unknown>) =>
      provider.getList('auditAlerts', {
        pagination: { page: 1, perPage: 10 },
        sort: { field: 'id', order: 'ASC' },
        filter,
      });
    await list({ status: 'OPEN' });
    await list({ status: 'SOMETHING' });
    expect(sent(calls[0]).variables).toEqual({ first: 10, after: null, status: 'OPEN' });
    expect(sent(calls[1]).variables).toEqual({ first: 10, after: null });
    const done = await provider.acknowledgeAuditAlert({ id: 'al-1' });
    expect(done.data.status).toBe('ACKNOWLEDGED');
    expect(sent(calls[2]).variables).toEqual({ id: 'al-1' });
  });

  it('refuses an event, acknowledge and verification before the gateway where the purpose may not run them', async () => {
    signedIn('marketer');
    const { fetch, calls } = recordingFetch([]);
    const provider = createDataProvider({ fetch }) as ReturnType<typeof createDataProvider> & AuditActions;
    await expect(provider.getOne('auditEvents', { id: 'ev-1' })).rejects.toMatchObject({ status: 403 });
    await expect(provider.acknowledgeAuditAlert({ id: 'al-1' })).rejects.toMatchObject({ status: 403 });
    await expect(provider.verifyAuditLog()).rejects.toMatchObject({ status: 403 });
    expect(calls).toHaveLength(0);
  });

  it('puts a rule’s parameter problems on the params field, and its own fields’ on theirs', async () => {
    signedIn('privacy_officer');
    const problems = [
      { field: 'description', rule: 'length', message: 'must be 1-500 characters' },
      { field: 'limit', rule: 'range', message: 'must be a whole number from 1 to 100000' },
    ];
    const { fetch, calls } = recordingFetch([
      () =>
        json({
          data: null,
          errors: [{ message: 'invalid input', extensions: { code: 'BAD_USER_INPUT', problems } }],
        }),
    ]);
    const provider = createDataProvider({ fetch });
    const error = (await provider
      .update('auditRules', {
        id: 'bulk-reads',
        data: { kind: 'DISTINCT_CONTACTS', description: '', params: '{"limit":0}', enabled: true },
        previousData: { id: 'bulk-reads' },
      })
      .catch((caught: unknown) => caught)) as HttpError;
    expect(error.status).toBe(400);
    const errors = (error.body as { errors: Record<string, unknown> }).errors;
    expect(errors.description).toBe('must be 1-500 characters');
    expect(errors.params).toBe('limit: must be a whole number from 1 to 100000');
    expect(errors.limit).toBeUndefined();
    expect(sent(calls[0]).variables).toEqual({
      input: {
        id: 'bulk-reads',
        kind: 'DISTINCT_CONTACTS',
        description: '',
        params: '{"limit":0}',
        enabled: true,
      },
    });
  });
});
