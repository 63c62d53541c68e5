import { configure, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { HttpError } from 'react-admin';
import { describe, expect, it, vi } from 'vitest';
import { choosePurpose, startSession } from '../src/auth/session';
import { consentTools } from '../src/consentTools';
import { problemPlace } from '../src/consentTools/ConsentImport';
import { contacts } from '../src/contacts';
import { en } from '../src/i18n/en';
import { privacyNotices } from '../src/notices';
import { renderAdmin } from './renderAdmin';
import { fakeToken } from './support';

// react-admin's pages take a while to render in jsdom on a busy machine (the first one above all).
configure({ asyncUtilTimeout: 10_000 });

const tools = en.custos.consent_tools;
const notices = en.custos.notices;
const notice = {
  id: '2026-01',
  version: '2026-01',
  text: 'First notice.\nSecond line.',
  textSha256: 'cd'.repeat(32),
  publishedAt: '2026-01-01T00:00:00.000Z',
};
const problems = [
  { field: 'line 3.purpose', rule: 'unknown', message: 'is not a purpose of the policy' },
  { field: 'line 4', rule: 'columns', message: 'must have 3 fields like the header' },
];

/** In memory: one published notice; the import refuses a CSV naming `telepathy` and counts the rows otherwise. */
function memoryProvider() {
  const published = [notice];
  const provider = {
    getList: vi.fn(async () => ({ data: published, total: published.length })),
    getOne: vi.fn(async (_resource: string, { id }: { id: string }) => ({
      data: published.find((one) => one.id === id),
    })),
    getManyReference: vi.fn(async () => ({ data: [], total: 0 })),
    create: vi.fn(async (_resource: string, { data }: { data: { version: string; text: string } }) => {
      const created = {
        ...data,
        id: data.version,
        textSha256: 'ef'.repeat(32),
        publishedAt: '2026-03-01T00:00:00.000Z',
      };
      published.unshift(created);
      return { data: created };
    }),
    importConsents: vi.fn(async ({ csv }: { csv: string }) => {
      if (csv.includes('telepathy')) {
        throw new HttpError('line 3.purpose: is not a purpose of the policy (BAD_USER_INPUT)', 400, {
          code: 'BAD_USER_INPUT',
          problems,
        });
      }
      return { data: { imported: csv.trim().split('\n').length - 1 } };
    }),
    verifyConsentLedger: vi.fn(async () => ({
      data: { valid: true, events: 7, brokenEventId: null, stateMismatches: 0 },
    })),
  };
  return provider;
}

function renderConsole(role: string, purpose: string, hash: string) {
  startSession(fakeToken({ sub: 'olga', roles: [role] }));
  choosePurpose(purpose);
  window.location.hash = hash;
  const provider = memoryProvider();
  renderAdmin(provider, [contacts, privacyNotices, consentTools]);
  return provider;
}

describe('problemPlace', () => {
  it('splits `line N.column`, keeps a whole-row or whole-file problem apart', () => {
    expect(problemPlace('line 3.purpose')).toEqual({ line: '3', column: 'purpose' });
    expect(problemPlace('line 12')).toEqual({ line: '12', column: '' });
    expect(problemPlace('csv')).toEqual({ line: '', column: 'csv' });
  });
});

describe('the consent tools page', { timeout: 30_000 }, () => {
  it('imports only after the confirmation, and shows the refusal row by row', async () => {
    const user = userEvent.setup();
    const provider = renderConsole('privacy_officer', 'compliance', '#/consentTools');
    const csv = await screen.findByRole('textbox', { name: tools.import.csv });
    await user.click(csv);
    await user.paste('contact_id,purpose,status\nc-1,marketing,DENIED\nc-2,telepathy,DENIED');
    await user.click(screen.getByRole('button', { name: tools.import.action }));
    let dialog = await screen.findByRole('dialog');
    expect(within(dialog).queryAllByText('Import 2 rows?')).toHaveLength(1);
    // Cancelled: nothing sent.
    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(provider.importConsents).not.toHaveBeenCalled();

    await user.click(screen.getByRole('button', { name: tools.import.action }));
    dialog = await screen.findByRole('dialog');
    await user.click(within(dialog).getByRole('button', { name: tools.import.action }));
    const report = await screen.findByRole('table', { name: tools.import.report });
    const rows = within(report).getAllByRole('row');
    expect(rows).toHaveLength(3);
    expect(
      within(rows[1]!)
        .getAllByRole('cell')
        .map((cell) => cell.textContent),
    ).toEqual(['3', 'purpose', 'unknown', 'is not a purpose of the policy']);
    expect(
      within(rows[2]!)
        .getAllByRole('cell')
        .map((cell) => cell.textContent),
    ).toEqual(['4', '—', 'columns', 'must have 3 fields like the header']);
    expect(provider.importConsents).toHaveBeenCalledTimes(1);
    expect(screen.queryByText('2 consent events imported')).toBeNull();
  });

  it('shows the imported count, and the ledger check as the server answered it', async () => {
    const user = userEvent.setup();
    const provider = renderConsole('privacy_officer', 'compliance', '#/consentTools');
    const csv = await screen.findByRole('textbox', { name: tools.import.csv });
    await user.click(csv);
    await user.paste('contact_id,purpose,status\nc-1,marketing,DENIED\nc-2,marketing,DENIED');
    await user.click(screen.getByRole('button', { name: tools.import.action }));
    const dialog = await screen.findByRole('dialog');
    await user.click(within(dialog).getByRole('button', { name: tools.import.action }));
    expect((await screen.findAllByText('2 consent events imported')).length).toBeGreaterThan(0);
    expect(screen.queryByRole('table', { name: tools.import.report })).toBeNull();
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());

    expect(screen.queryByText(tools.verify.valid)).toBeNull();
    await user.type(screen.getByRole('textbox', { name: tools.verify.contact }), 'c-1');
    await user.click(screen.getByRole('button', { name: tools.verify.action }));
    await screen.findByText(tools.verify.valid);
    expect(provider.verifyConsentLedger).toHaveBeenCalledWith({ contactId: 'c-1' });
    const values = [...document.querySelectorAll('dd')].map((dd) => dd.textContent);
    expect(values).toEqual(['7', tools.verify.none, '0']);
  });

  it('is not offered to a purpose that may not verify the ledger', async () => {
    renderConsole('marketer', 'marketing', '#/privacyNotices');
    await screen.findByText(notice.textSha256);
    expect(screen.queryAllByRole('menuitem', { name: 'Privacy notices' })).toHaveLength(1);
    expect(screen.queryByRole('menuitem', { name: tools.title })).toBeNull();
    expect(screen.queryByRole('link', { name: notices.publish })).toBeNull();
  });

  it('sends a purpose that may not verify the ledger to the access-denied page, with nothing sent', async () => {
    const provider = renderConsole('marketer', 'marketing', '#/consentTools');
    await waitFor(() => expect(window.location.hash).toBe('#/access-denied'));
    await waitFor(() => expect(screen.queryByRole('button', { name: tools.verify.action })).toBeNull());
    expect(screen.queryByRole('textbox', { name: tools.import.csv })).toBeNull();
    expect(provider.verifyConsentLedger).not.toHaveBeenCalled();
    expect(provider.importConsents).not.toHaveBeenCalled();
  });
});

describe('privacy notices', { timeout: 30_000 }, () => {
  it('lists the versions with an explicit link and their hash, and shows one with its text', async () => {
    const user = userEvent.setup();
    renderConsole('privacy_officer', 'compliance', '#/privacyNotices');
    await screen.findByText(notice.textSha256);
    await user.click(await screen.findByRole('link', { name: `Show notice ${notice.version}` }));
    await screen.findByText(/Second line\./);
    expect(window.location.hash).toBe(`#/privacyNotices/${notice.version}/show`);
  });

  it('publishes only after the confirmation that a version is never edited', async () => {
    const user = userEvent.setup();
    const provider = renderConsole('privacy_officer', 'compliance', '#/privacyNotices/create');
    await user.type(await screen.findByRole('textbox', { name: /version/i }), '2026-03');
    await user.type(screen.getByRole('textbox', { name: /text/i }), 'Third notice.');
    await user.click(screen.getByRole('button', { name: notices.publish }));
    let dialog = await screen.findByRole('dialog');
    expect(within(dialog).queryAllByText('Publish version 2026-03?')).toHaveLength(1);
    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(provider.create).not.toHaveBeenCalled();

    await user.click(screen.getByRole('button', { name: notices.publish }));
    dialog = await screen.findByRole('dialog');
    await user.click(within(dialog).getByRole('button', { name: notices.publish }));
    await waitFor(() => expect(window.location.hash).toBe('#/privacyNotices/2026-03/show'));
    expect(await screen.findAllByText('Version 2026-03 published')).toHaveLength(1);
    expect(provider.create).toHaveBeenCalledWith(
      'privacyNotices',
      expect.objectContaining({ data: { version: '2026-03', text: 'Third notice.' } }),
    );
  });
});
