import { configure, screen, waitFor } from '@testing-library/react';
import { HttpError } from 'react-admin';
import { describe, expect, it, vi } from 'vitest';
import { startSession } from '../src/auth/session';
import { en } from '../src/i18n/en';
import { privacyNotices } from '../src/notices';
import { renderAdmin } from './renderAdmin';
import { fakeToken } from './support';

// react-admin's lists take a while to render in jsdom on a busy machine.
configure({ asyncUtilTimeout: 5000 });

const notice = {
  id: '2026-01',
  version: '2026-01',
  publishedAt: '2026-01-01T00:00:00.000Z',
  textSha256: 'ab'.repeat(32),
};

function renderNotices(answer: () => Promise<unknown>) {
  startSession(fakeToken({ sub: 'olga', roles: ['privacy_officer'] }));
  window.location.hash = '#/privacyNotices';
  const provider = { getList: vi.fn(answer) };
  renderAdmin(provider, [privacyNotices]);
  return provider;
}

const refusal = 'Operation not allowed for this purpose (FORBIDDEN)';
const failed = en.custos.list_load_failed.replace('%{reason}', refusal);

describe('the privacy notice list', { timeout: 30_000 }, () => {
  it('lists the published versions, each with its link, and does not say there is none', async () => {
    renderNotices(async () => ({ data: [notice], total: 1 }));
    await screen.findByRole('link', { name: 'Show notice 2026-01' });
    expect(screen.queryByText(en.custos.notices.none)).toBeNull();
    expect(screen.queryByText(failed)).toBeNull();
  });

  it('says that none is published when the server answers no row', async () => {
    renderNotices(async () => ({ data: [], total: 0 }));
    await screen.findByText(en.custos.notices.none);
    expect(screen.queryByRole('link', { name: /^Show notice/ })).toBeNull();
    expect(screen.queryByText(failed)).toBeNull();
  });

  it('says why, with the server’s message and code, when the server refuses it — never that there is none', async () => {
    const provider = renderNotices(async () => {
      throw new HttpError(refusal, 403, { code: 'FORBIDDEN' });
    });
    expect(await screen.findAllByText(failed)).toHaveLength(1);
    await waitFor(() => expect(provider.getList).toHaveBeenCalled());
    expect(screen.queryByText(en.custos.notices.none)).toBeNull();
    expect(screen.queryByText(/No .* (found|yet)/i)).toBeNull();
  });
});
