import type { HttpError } from 'react-admin';
import { describe, expect, it } from 'vitest';
import { choosePurpose, startSession } from '../src/auth/session';
import type { ConsentToolActions } from '../src/data/consentTools';
import { createDataProvider } from '../src/data/dataProvider';
import { type Call, fakeToken, json, recordingFetch } from './support';

const request = (call: Call | undefined) =>
  (call?.body ?? {}) as { query?: string; variables?: Record<string, unknown> };

function providerFor(role: 'privacy_officer' | 'marketer', purpose: string, answers: (() => Response)[]) {
  startSession(fakeToken({ sub: 'olga', roles: [role] }));
  choosePurpose(purpose);
  const { fetch, calls } = recordingFetch(answers);
  return {
    provider: createDataProvider({ fetch }) as ReturnType<typeof createDataProvider> & ConsentToolActions,
    calls,
  };
}

const problems = [{ field: 'line 3.purpose', rule: 'unknown', message: 'is not a purpose of the policy' }];
const notice = {
  version: '2026-03',
  text: 'Text.',
  textSha256: 'ab'.repeat(32),
  publishedAt: '2026-03-01T00:00:00Z',
};

describe('the consent tools in the dataProvider', () => {
  it('sends the CSV as a variable, and returns the count or the row problems with the server’s message', async () => {
    const csv = 'contact_id,purpose,status\nc-1,marketing,DENIED';
    const { provider, calls } = providerFor('privacy_officer', 'compliance', [
      () => json({ data: { importConsents: { imported: 1 } } }),
      () =>
        json({
          data: null,
          errors: [
            {
              message: 'line 3.purpose: is not a purpose of the policy',
              extensions: { code: 'BAD_USER_INPUT', problems },
            },
          ],
        }),
    ]);
    expect(await provider.importConsents({ csv })).toEqual({ data: { imported: 1 } });
    expect(request(calls[0]).variables).toEqual({ csv });
    expect(request(calls[0]).query).toMatch(/mutation ConsoleImportConsents\(\$csv: String!\)/);
    const refused = (await provider.importConsents({ csv }).catch((error: unknown) => error)) as HttpError;
    expect(refused.status).toBe(400);
    expect(refused.message).toBe('line 3.purpose: is not a purpose of the policy (BAD_USER_INPUT)');
    expect((refused.body as { problems: unknown }).problems).toEqual(problems);
  });

  it('verifies one contact’s ledger by id, or the whole ledger when the id is blank', async () => {
    const check = { valid: false, events: 4, brokenEventId: 'e-3', stateMismatches: 1 };
    const { provider, calls } = providerFor('privacy_officer', 'compliance', [
      () => json({ data: { verifyConsentLedger: check } }),
      () => json({ data: { verifyConsentLedger: { ...check, valid: true, brokenEventId: null } } }),
    ]);
    expect(await provider.verifyConsentLedger({ contactId: ' c-1 ' })).toEqual({ data: check });
    expect(request(calls[0]).variables).toEqual({ contactId: 'c-1' });
    await provider.verifyConsentLedger({ contactId: '  ' });
    expect(request(calls[1]).variables).toEqual({ contactId: null });
  });

  it('are refused before the gateway where the purpose may not (marketing)', async () => {
    const { provider, calls } = providerFor('marketer', 'marketing', []);
    const imported = (await provider
      .importConsents({ csv: 'x' })
      .catch((error: unknown) => error)) as HttpError;
    expect(imported.status).toBe(403);
    const verified = (await provider.verifyConsentLedger({}).catch((error: unknown) => error)) as HttpError;
    expect(verified.status).toBe(403);
    const published = (await provider
      .create('privacyNotices', { data: notice })
      .catch((error: unknown) => error)) as HttpError;
    expect(published.status).toBe(403);
    expect(calls).toHaveLength(0);
  });
});

describe('privacy notices in the dataProvider', () => {
  it('reads one version with its text (the version is the id), and an unknown version is a 404', async () => {
    const { provider, calls } = providerFor('marketer', 'marketing', [
      () => json({ data: { privacyNotice: notice } }),
      () => json({ data: { privacyNotice: null } }),
    ]);
    expect((await provider.getOne('privacyNotices', { id: '2026-03' })).data).toEqual({
      ...notice,
      id: '2026-03',
    });
    expect(request(calls[0]).variables).toEqual({ version: '2026-03' });
    const missing = (await provider
      .getOne('privacyNotices', { id: 'nope' })
      .catch((error: unknown) => error)) as HttpError;
    expect(missing.status).toBe(404);
  });

  it('publishes PublishPrivacyNoticeInput, and a version that exists comes back as CONFLICT', async () => {
    const { provider, calls } = providerFor('privacy_officer', 'compliance', [
      () => json({ data: { publishPrivacyNotice: notice } }),
      () =>
        json({
          data: { publishPrivacyNotice: null },
          errors: [{ message: 'Privacy notice version 2026-03 exists', extensions: { code: 'CONFLICT' } }],
        }),
    ]);
    const created = await provider.create('privacyNotices', {
      data: { version: ' 2026-03 ', text: 'Text.' },
    });
    expect(created.data).toEqual({ ...notice, id: '2026-03' });
    expect(request(calls[0]).variables).toEqual({ input: { version: '2026-03', text: 'Text.' } });
    const conflict = (await provider
      .create('privacyNotices', { data: { version: '2026-03', text: 'Text.' } })
      .catch((error: unknown) => error)) as HttpError;
    expect(conflict.status).toBe(409);
    expect(conflict.message).toBe('Privacy notice version 2026-03 exists (CONFLICT)');
  });
});
