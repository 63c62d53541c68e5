import { PURPOSE_DEFINITIONS, PURPOSES } from '@custos/policy';
import { configure, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Admin, type DataProvider, HttpError, Resource } from 'react-admin';
import { describe, expect, it, vi } from 'vitest';
import { createAuthProvider } from '../src/auth/authProvider';
import { choosePurpose, startSession } from '../src/auth/session';
import { contacts } from '../src/contacts';
import { createQueryClient } from '../src/data/queryClient';
import { i18nProvider } from '../src/i18n';
import { en } from '../src/i18n/en';
import { Layout } from '../src/layout/Layout';
import { fakeToken } from './support';

// Dialogs and tables of react-admin take a while to render in jsdom on a busy machine.
configure({ asyncUtilTimeout: 5000 });

const ann = {
  id: 'c-ann',
  fullName: 'Ann Example',
  email: 'ann@example.test',
  country: 'FR',
  restricted: false,
  createdAt: '2026-01-02T03:04:05.000Z',
  updatedAt: '2026-01-02T03:04:05.000Z',
  __redactions: {},
};

const event = (seq: number, purpose: string, status: string, verification: string | null = null) => ({
  id: `e-${seq}`,
  seq,
  purpose,
  status,
  method: verification ? 'WEB_FORM' : 'PHONE',
  noticeVersion: status === 'GRANTED' ? '2026-01' : null,
  capturedAt: `2026-02-0${seq}T10:00:00.000Z`,
  recordedAt: `2026-02-0${seq}T10:00:01.000Z`,
  recordedBy: verification ? 'public' : 'olga',
  verification,
  prevHash: seq > 1 ? `hash-${seq - 1}` : null,
  hash: `hash-${seq}`,
});

const receipt = {
  id: 'e-1',
  schema: 'ISO/IEC TS 27560:2023',
  recordId: 'e-1',
  controller: { name: 'Custos Example Ltd', contact: 'privacy@custos.example' },
  subjectPseudonym: null,
  purpose: { id: 'marketing', description: 'Direct marketing', lawfulBasis: 'consent' },
  notice: { version: '2026-01', sha256: 'ab'.repeat(32), publishedAt: '2026-01-01T00:00:00.000Z' },
  method: 'WEB_FORM',
  status: 'GRANTED',
  timestamp: '2026-02-01T10:00:00.000Z',
  recordedAt: '2026-02-01T10:00:01.000Z',
  eventHash: 'hash-1',
  prevHash: null,
  verification: {
    method: 'EMAIL_CONFIRMATION',
    verifiedAt: '2026-02-01T10:05:00.000Z',
    messageId: '<confirm-1@custos.example>',
  },
  __redactions: { subjectPseudonym: 'PURPOSE_NOT_ALLOWED' },
};

/** In memory: one contact whose ledger has a confirmed marketing grant and a refusal of sale_share. */
function memoryProvider() {
  const ledger = [event(1, 'marketing', 'GRANTED', 'EMAIL_CONFIRMATION'), event(2, 'sale_share', 'DENIED')];
  const current = () => {
    const latest = new Map<string, (typeof ledger)[number]>();
    for (const e of ledger) latest.set(e.purpose, e);
    return [...latest.values()].map((e) => ({
      id: e.purpose,
      purpose: e.purpose,
      status: e.status,
      updatedAt: e.recordedAt,
    }));
  };
  const append = (purpose: string, status: string) => {
    const appended = event(ledger.length + 1, purpose, status);
    ledger.push(appended);
    return { data: appended };
  };
  /** Each change waits for `release` when one is set: what the screen shows before the server answered. */
  const gate: { release?: Promise<void> } = {};
  const provider = {
    getOne: vi.fn(async (resource: string, { id }: { id: string }) =>
      resource === 'consentReceipts' ? { data: { ...receipt, id } } : { data: ann },
    ),
    getList: vi.fn(async () => ({
      data: [{ id: '2026-01', version: '2026-01', publishedAt: '2026-01-01T00:00:00.000Z' }],
      total: 1,
    })),
    getManyReference: vi.fn(async (resource: string) => {
      const data = resource === 'consentStates' ? current() : ledger;
      return { data, total: data.length };
    }),
    create: vi.fn(async (_resource: string, { data }: { data: { purpose: string; status: string } }) => {
      await gate.release;
      return append(data.purpose, data.status);
    }),
    withdrawConsent: vi.fn(async ({ purpose }: { purpose: string }) => {
      await gate.release;
      return append(purpose, 'WITHDRAWN');
    }),
    objectToProcessing: vi.fn(async ({ purpose }: { purpose: string }) => {
      await gate.release;
      return append(purpose, 'OBJECTED');
    }),
  };
  return { provider, ledger, gate };
}

type Role = 'privacy_officer' | 'support_agent' | 'marketer' | 'sales_rep';

function renderConsole(role: Role, purpose?: string) {
  startSession(fakeToken({ sub: 'olga', roles: [role] }));
  if (purpose) choosePurpose(purpose);
  window.location.hash = '#/contacts/c-ann/show/consent';
  const memory = memoryProvider();
  render(
    <Admin
      authProvider={createAuthProvider()}
      dataProvider={memory.provider as unknown as DataProvider}
      i18nProvider={i18nProvider}
      layout={Layout}
      requireAuth
      disableTelemetry
    >
      <Resource {...contacts} />
    </Admin>,
  );
  return memory;
}

const texts = en.custos.consent;
const currentTable = async () => {
  const heading = await screen.findByRole('heading', { name: texts.current });
  await waitFor(() => expect(heading.nextElementSibling?.querySelector('table')).not.toBeNull());
  return heading.nextElementSibling?.querySelector('table') as HTMLElement;
};
/**
 * The confirmation's button `name`, once the confirmation is open over the form (which assistive technology then
 * no longer reaches: the confirmation is the one dialog found).
 */
const confirmation = async (name: string) => {
  const dialog = await screen.findByRole('dialog', { name: /^Record “/ });
  return within(dialog).getByRole('button', { name });
};

const rowOf = (table: HTMLElement, text: string) => {
  // hidden: a table behind an open dialog is hidden from assistive technology, and still on screen.
  const row = within(table)
    .getAllByRole('row', { hidden: true })
    .find((tr) => within(tr).queryByText(text) !== null);
  expect(row, `a row with ${text}`).toBeDefined();
  return row as HTMLElement;
};

describe('the consent tab', { timeout: 30_000 }, () => {
  it('shows the current consents and the ledger, with Withdraw only on a granted purpose resting on consent', async () => {
    const { provider } = renderConsole('privacy_officer', 'compliance');
    const table = await currentTable();
    const marketing = rowOf(table, en.custos.purposes.marketing);
    expect(within(marketing).queryAllByText(texts.statuses.GRANTED)).toHaveLength(1);
    const withdraw = within(marketing).getByRole('button', { name: /withdraw/i });
    expect(withdraw.getAttribute('aria-label')).toBe(`Withdraw consent for ${en.custos.purposes.marketing}`);
    const refused = rowOf(table, en.custos.purposes.sale_share);
    expect(within(refused).queryAllByText(texts.statuses.DENIED)).toHaveLength(1);
    expect(within(refused).queryByRole('button', { name: /withdraw/i })).toBeNull();
    // The ledger: both events, oldest first, with how each was verified.
    const ledger = (await screen.findByRole('heading', { name: texts.ledger }))
      .nextElementSibling as HTMLElement;
    await within(ledger).findByText(texts.verifications.EMAIL_CONFIRMATION);
    expect(within(ledger).getAllByRole('button', { name: /receipt of event/i })).toHaveLength(2);
    expect(provider.getManyReference).toHaveBeenCalledWith(
      'consents',
      expect.objectContaining({ target: 'contactId', id: 'c-ann' }),
    );
  });

  it('shows an event’s receipt on demand, with its verification and a redacted pseudonym', async () => {
    const user = userEvent.setup();
    const { provider } = renderConsole('privacy_officer', 'compliance');
    const button = await screen.findByRole('button', { name: 'Receipt of event 1' });
    expect(provider.getOne.mock.calls.filter(([resource]) => resource === 'consentReceipts')).toHaveLength(0);
    await user.click(button);
    const dialog = await screen.findByRole('dialog', { name: texts.receipt.title });
    await within(dialog).findByText(receipt.verification.messageId);
    expect(within(dialog).queryAllByText(texts.verifications.EMAIL_CONFIRMATION)).toHaveLength(1);
    expect(within(dialog).queryAllByText(receipt.notice.sha256)).toHaveLength(1);
    expect(within(dialog).queryAllByText(receipt.schema)).toHaveLength(1);
    expect(dialog.querySelector('[data-redaction-reason="PURPOSE_NOT_ALLOWED"]')).not.toBeNull();
    expect(provider.getOne).toHaveBeenCalledWith('consentReceipts', expect.objectContaining({ id: 'e-1' }));
  });

  it('withdraws pessimistically after a confirmation that says it cannot be undone, then reloads', async () => {
    const user = userEvent.setup();
    const { provider, gate } = renderConsole('privacy_officer', 'compliance');
    const table = await currentTable();
    await user.click(
      within(rowOf(table, en.custos.purposes.marketing)).getByRole('button', { name: /withdraw/i }),
    );
    const dialog = await screen.findByRole('dialog');
    expect(within(dialog).queryAllByText(texts.irreversible)).toHaveLength(1);
    await user.type(
      within(dialog).getByRole('textbox', { name: texts.source }),
      'mail of 3 March, ticket 812',
    );
    let release = () => {};
    gate.release = new Promise<void>((resolve) => {
      release = resolve;
    });
    const reads = provider.getManyReference.mock.calls.length;
    await user.click(within(dialog).getByRole('button', { name: texts.withdraw.action }));
    await waitFor(() => expect(provider.withdrawConsent).toHaveBeenCalledTimes(1));
    expect(provider.withdrawConsent.mock.calls[0]?.[0]).toEqual({
      contactId: 'c-ann',
      purpose: 'marketing',
      method: 'ADMIN',
      source: 'mail of 3 March, ticket 812',
    });
    // Before the server answered: nothing changed on screen.
    expect(
      within(rowOf(table, en.custos.purposes.marketing)).queryAllByText(texts.statuses.GRANTED),
    ).toHaveLength(1);
    expect(within(table).queryByText(texts.statuses.WITHDRAWN)).toBeNull();
    expect(screen.queryAllByRole('dialog')).toHaveLength(1);
    release();
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    const reloaded = await currentTable();
    await within(reloaded).findByText(texts.statuses.WITHDRAWN);
    expect(provider.getManyReference.mock.calls.length).toBeGreaterThan(reads);
    expect(
      within(rowOf(reloaded, en.custos.purposes.marketing)).queryByRole('button', { name: /withdraw/i }),
    ).toBeNull();
    await screen.findByText(`Consent for ${en.custos.purposes.marketing} withdrawn`);
  });

  it('offers an objection for the purposes the policy lets one apply to, and records it', async () => {
    const user = userEvent.setup();
    const { provider } = renderConsole('privacy_officer', 'compliance');
    await currentTable();
    await user.click(screen.getByRole('button', { name: texts.object.action }));
    const dialog = await screen.findByRole('dialog', { name: texts.object.title });
    expect(within(dialog).queryAllByText(texts.irreversible)).toHaveLength(1);
    await user.click(within(dialog).getByRole('combobox', { name: texts.object.purpose }));
    const offered = within(await screen.findByRole('listbox')).getAllByRole('option');
    // Expected from the policy's row rules: an objection means something where the rule excludes objectors.
    const objectable = PURPOSES.filter((p) => PURPOSE_DEFINITIONS[p].rows.objection === 'exclude');
    expect(objectable.length).toBeGreaterThan(0);
    expect(offered.map((o) => o.textContent)).toEqual(objectable.map((p) => en.custos.purposes[p]));
    await user.click(screen.getByRole('option', { name: en.custos.purposes.sales }));
    await user.click(within(dialog).getByRole('button', { name: texts.object.confirm }));
    await waitFor(() => expect(provider.objectToProcessing).toHaveBeenCalledTimes(1));
    expect(provider.objectToProcessing.mock.calls[0]?.[0]).toMatchObject({
      contactId: 'c-ann',
      purpose: 'sales',
    });
    const table = await currentTable();
    await waitFor(() => expect(within(table).queryByText(texts.statuses.OBJECTED)).not.toBeNull());
  });

  it('records consent: a grant needs its notice and source, and the server’s problems land on the fields', async () => {
    const user = userEvent.setup();
    const { provider } = renderConsole('privacy_officer', 'compliance');
    await currentTable();
    await user.click(screen.getByRole('button', { name: texts.record.action }));
    const dialog = await screen.findByRole('dialog', { name: texts.record.title });
    await user.click(within(dialog).getByRole('combobox', { name: en.resources.consents.fields.purpose }));
    await user.click(await screen.findByRole('option', { name: en.custos.purposes.marketing }));
    await user.click(within(dialog).getByRole('button', { name: texts.record.action }));
    await within(dialog).findAllByText(texts.record.required_for_grant);
    expect(provider.create).not.toHaveBeenCalled();
    provider.create.mockRejectedValueOnce(
      new HttpError('noticeVersion: is not a published privacy notice version (BAD_USER_INPUT)', 400, {
        code: 'BAD_USER_INPUT',
        errors: {
          noticeVersion: 'is not a published privacy notice version',
          root: { serverError: 'noticeVersion: is not a published privacy notice version (BAD_USER_INPUT)' },
        },
      }),
    );
    await user.click(
      within(dialog).getByRole('combobox', { name: en.resources.consents.fields.noticeVersion }),
    );
    await user.click(await screen.findByRole('option', { name: '2026-01' }));
    await user.type(within(dialog).getByRole('textbox', { name: texts.source }), 'call 2026-03-03 #55');
    await user.click(within(dialog).getByRole('button', { name: texts.record.action }));
    await user.click(await confirmation(texts.record.confirm_action));
    await within(dialog).findByText('is not a published privacy notice version');
    await screen.findByText('noticeVersion: is not a published privacy notice version (BAD_USER_INPUT)');
    expect(provider.create).toHaveBeenCalledTimes(1);
    expect(provider.create.mock.calls[0]?.[1].data).toMatchObject({
      contactId: 'c-ann',
      purpose: 'marketing',
      status: 'GRANTED',
      method: 'PHONE',
      noticeVersion: '2026-01',
      evidence: { source: 'call 2026-03-03 #55' },
    });
    // The form again once the confirmation is gone (until then, assistive technology reaches the confirmation only).
    await user.click(await within(dialog).findByRole('button', { name: texts.record.action }));
    await user.click(await confirmation(texts.record.confirm_action));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(provider.create).toHaveBeenCalledTimes(2);
    await screen.findByText(texts.record.done);
  });

  it('records consent only after a confirmation that says what goes into the ledger for good', async () => {
    const user = userEvent.setup();
    const { provider } = renderConsole('privacy_officer', 'compliance');
    await currentTable();
    await user.click(screen.getByRole('button', { name: texts.record.action }));
    const form = await screen.findByRole('dialog', { name: texts.record.title });
    await user.click(within(form).getByRole('combobox', { name: en.resources.consents.fields.purpose }));
    await user.click(await screen.findByRole('option', { name: en.custos.purposes.marketing }));
    await user.click(
      within(form).getByRole('combobox', { name: en.resources.consents.fields.noticeVersion }),
    );
    await user.click(await screen.findByRole('option', { name: '2026-01' }));
    await user.type(within(form).getByRole('textbox', { name: texts.source }), 'signed form 77');
    await user.click(within(form).getByRole('button', { name: texts.record.action }));

    // The confirmation: what is recorded, how, on which notice and evidence, and that it cannot be undone.
    const title = texts.record.confirm_title
      .replace('%{status}', texts.statuses.GRANTED)
      .replace('%{purpose}', en.custos.purposes.marketing);
    const confirm = await screen.findByRole('dialog', { name: title });
    within(confirm).getByText(
      texts.record.confirm
        .replace('%{method}', texts.methods.PHONE)
        .replace('%{notice}', '2026-01')
        .replace('%{source}', 'signed form 77'),
    );
    expect(within(confirm).queryAllByText(texts.irreversible)).toHaveLength(1);
    expect(provider.create).not.toHaveBeenCalled();

    // Cancelled: nothing is sent, and the form is still there with what was typed.
    await user.click(within(confirm).getByRole('button', { name: en.ra.action.cancel }));
    await waitFor(() => expect(screen.queryByRole('dialog', { name: title })).toBeNull());
    expect(provider.create).not.toHaveBeenCalled();
    const source = await within(form).findByRole('textbox', { name: texts.source });
    expect((source as HTMLInputElement).value).toBe('signed form 77');
    expect(screen.queryByText(texts.record.done)).toBeNull();

    // Confirmed: sent once, then the form closes.
    await user.click(await within(form).findByRole('button', { name: texts.record.action }));
    await user.click(await confirmation(texts.record.confirm_action));
    await waitFor(() => expect(provider.create).toHaveBeenCalledTimes(1));
    expect(provider.create.mock.calls[0]?.[1].data).toMatchObject({
      contactId: 'c-ann',
      purpose: 'marketing',
      status: 'GRANTED',
      noticeVersion: '2026-01',
      evidence: { source: 'signed form 77' },
    });
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    await screen.findByText(texts.record.done);
  });
});

describe('a contact without consent events', { timeout: 30_000 }, () => {
  it('says so in both tables, and offers no Withdraw', async () => {
    const { provider } = renderConsole('privacy_officer', 'compliance');
    provider.getManyReference.mockResolvedValue({ data: [], total: 0 });
    await screen.findByText(texts.current_empty);
    await screen.findByText(texts.ledger_empty);
    expect(screen.queryByRole('button', { name: /withdraw/i })).toBeNull();
    expect(screen.queryByRole('button', { name: /receipt of event/i })).toBeNull();
    expect(screen.queryByText(texts.load_failed)).toBeNull();
  });
});

describe('a consent tab that cannot be loaded', { timeout: 30_000 }, () => {
  it('says so where the tables would be, and notifies the server’s message and code', async () => {
    startSession(fakeToken({ sub: 'olga', roles: ['privacy_officer'] }));
    window.location.hash = '#/contacts/c-ann/show/consent';
    const { provider } = memoryProvider();
    provider.getManyReference.mockRejectedValue(
      new HttpError('Contact not found (NOT_FOUND)', 404, { code: 'NOT_FOUND' }),
    );
    render(
      <Admin
        authProvider={createAuthProvider()}
        dataProvider={provider as unknown as DataProvider}
        queryClient={createQueryClient()}
        i18nProvider={i18nProvider}
        layout={Layout}
        requireAuth
        disableTelemetry
      >
        <Resource {...contacts} />
      </Admin>,
    );
    // At once: a 404 is not asked again (src/data/queryClient.ts).
    await waitFor(() => expect(screen.getAllByText(texts.load_failed)).toHaveLength(2), { timeout: 5_000 });
    await screen.findByText('Contact not found (NOT_FOUND)');
    expect(screen.queryByText(texts.current_empty)).toBeNull();
    expect(screen.queryByText(texts.ledger_empty)).toBeNull();
  });
});

describe('who sees the consent tab', { timeout: 30_000 }, () => {
  it('is shown to customer support, with its actions', async () => {
    renderConsole('support_agent');
    await currentTable();
    expect(screen.queryAllByRole('tab', { name: texts.tab })).toHaveLength(1);
    expect(screen.queryAllByRole('button', { name: texts.record.action })).toHaveLength(1);
    expect(screen.queryAllByRole('button', { name: texts.object.action })).toHaveLength(1);
  });

  it.each([
    ['marketer', 'marketing'],
    ['sales_rep', 'sales'],
  ] as const)('is not shown to a %s declaring %s, and its data is not asked for', async (role, purpose) => {
    const { provider } = renderConsole(role, purpose);
    await screen.findByRole('tab', { name: texts.details_tab });
    expect(screen.queryByRole('tab', { name: texts.tab })).toBeNull();
    expect(screen.queryByRole('heading', { name: texts.current })).toBeNull();
    expect(provider.getManyReference).not.toHaveBeenCalled();
  });
});
