import { ROLE_PURPOSES } from '@custos/policy';
import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Admin, type DataProvider, Resource } from 'react-admin';
import { describe, expect, it, vi } from 'vitest';
import { createAuthProvider } from '../src/auth/authProvider';
import { startSession } from '../src/auth/session';
import { contacts } from '../src/contacts';
import { i18nProvider } from '../src/i18n';
import { en } from '../src/i18n/en';
import { Layout } from '../src/layout/Layout';
import { fakeToken } from './support';

const ann = {
  id: 'c-ann',
  fullName: 'Ann Example',
  email: 'ann@example.test',
  phone: '+14155550100',
  birthDate: null,
  healthNotes: null,
  address: null,
  country: 'FR',
  restricted: false,
  createdAt: '2026-01-02T03:04:05.000Z',
  updatedAt: '2026-01-02T03:04:05.000Z',
  __redactions: { healthNotes: 'SPECIAL_CATEGORY' },
};
const restricted = {
  ...ann,
  id: 'c-restricted',
  fullName: null,
  email: null,
  phone: null,
  country: null,
  restricted: true,
  __redactions: {
    fullName: 'PROCESSING_RESTRICTED',
    email: 'PROCESSING_RESTRICTED',
    phone: 'PROCESSING_RESTRICTED',
    country: 'PROCESSING_RESTRICTED',
    healthNotes: 'PROCESSING_RESTRICTED',
  },
};

/** An in-memory dataProvider: the views' tests check what they show and ask for, not the GraphQL mapping. */
type ContactRecord = { id: string } & Record<string, unknown>;

function memoryProvider() {
  const records: ContactRecord[] = [ann, restricted];
  const provider = {
    getList: vi.fn(async () => ({ data: records, total: records.length })),
    getOne: vi.fn(async (_resource: string, { id }: { id: string }) => ({
      data: records.find((record) => record.id === id) ?? records[0],
    })),
    update: vi.fn(async (_resource: string, { data }: { data: ContactRecord }) => ({ data })),
  };
  return provider;
}

function renderConsole(role: 'support_agent' | 'analyst' | 'privacy_officer', hash: string, exp?: number) {
  startSession(fakeToken({ sub: 'sam', roles: [role], ...(exp ? { exp } : {}) }));
  window.location.hash = hash;
  const provider = memoryProvider();
  render(
    <Admin
      authProvider={createAuthProvider()}
      dataProvider={provider as unknown as DataProvider}
      i18nProvider={i18nProvider}
      layout={Layout}
      requireAuth
      disableTelemetry
    >
      <Resource {...contacts} />
    </Admin>,
  );
  return provider;
}

describe('the contact list', () => {
  it('opens each row through an explicit link, and shows redacted fields as such', async () => {
    renderConsole('support_agent', '#/contacts');
    const row = (await screen.findByText('Ann Example')).closest('tr');
    expect(row).not.toBeNull();
    const link = await within(row as HTMLElement).findByRole('link');
    expect(link.getAttribute('href')).toBe('#/contacts/c-ann/show');
    const restrictedRow = screen
      .getAllByRole('row')
      .find((tr) => within(tr).queryByRole('link')?.getAttribute('href') === '#/contacts/c-restricted/show');
    expect(restrictedRow).toBeDefined();
    const chips = (restrictedRow as HTMLElement).querySelectorAll('[data-redaction-reason]');
    expect([...chips].map((chip) => chip.getAttribute('data-redaction-reason'))).toEqual([
      'PROCESSING_RESTRICTED',
      'PROCESSING_RESTRICTED',
      'PROCESSING_RESTRICTED',
    ]);
    expect(row?.querySelectorAll('[data-redaction-reason]')).toHaveLength(0);
  });

  it('is not offered to a purpose that may not list contacts', async () => {
    renderConsole('analyst', '#/contacts');
    await screen.findByText(en.ra.page.access_denied);
    expect(
      screen.queryByRole('menuitem', { name: en.resources.contacts.name.split(' |||| ')[1] }),
    ).toBeNull();
  });
});

describe('the purpose selector', () => {
  it('offers the purposes the roles hold and reloads the list for the one chosen', async () => {
    const user = userEvent.setup();
    const provider = renderConsole('privacy_officer', '#/contacts');
    await screen.findByText('Ann Example');
    const calls = provider.getList.mock.calls.length;
    await user.click(screen.getByRole('combobox', { name: en.custos.purpose.label }));
    const options = within(await screen.findByRole('listbox')).getAllByRole('option');
    const held = ROLE_PURPOSES.privacy_officer;
    expect(options.map((option) => option.textContent)).toEqual(held.map((p) => en.custos.purposes[p]));
    const other = held[1];
    expect(other).toBeDefined();
    await user.click(
      screen.getByRole('option', { name: en.custos.purposes[other as keyof typeof en.custos.purposes] }),
    );
    expect(sessionStorage.getItem('custos.purpose')).toBe(other);
    await waitFor(() => expect(provider.getList.mock.calls.length).toBeGreaterThan(calls));
  });
});

describe('the contact edit form', () => {
  it('offers the fields the purpose may write, leaves redacted ones out, and saves pessimistically', async () => {
    const user = userEvent.setup();
    const provider = renderConsole('support_agent', '#/contacts/c-ann');
    const name = await screen.findByRole('textbox', { name: en.resources.contacts.fields.fullName });
    expect(screen.queryAllByRole('textbox', { name: en.resources.contacts.fields.phone })).toHaveLength(1);
    // Support may not see the health notes (special category) nor the IP address: neither is in the form.
    expect(screen.queryByLabelText(en.resources.contacts.fields.healthNotes)).toBeNull();
    expect(screen.queryByLabelText(en.resources.contacts.fields.ipAddress)).toBeNull();
    await user.clear(name);
    await user.type(name, 'Ann Other');
    await user.click(screen.getByRole('button', { name: en.ra.action.save }));
    await waitFor(() => expect(provider.update).toHaveBeenCalledTimes(1));
    expect(provider.update.mock.calls[0]?.[1]).toMatchObject({
      id: 'c-ann',
      data: { fullName: 'Ann Other' },
      previousData: { fullName: 'Ann Example' },
    });
  });

  it('on a restricted contact, says that its redacted fields cannot be changed and offers none of them', async () => {
    renderConsole('support_agent', '#/contacts/c-restricted');
    await screen.findByText(en.custos.contacts.redacted_not_editable);
    expect(screen.queryByRole('textbox', { name: en.resources.contacts.fields.fullName })).toBeNull();
    expect(screen.queryByRole('textbox', { name: en.resources.contacts.fields.phone })).toBeNull();
    expect(
      screen.queryAllByRole('textbox', { name: en.resources.contacts.fields['address.street'] }),
    ).toHaveLength(1);
  });
});

describe('the edit form of a contact whose every writable field is redacted', () => {
  it('says so, and offers no input', async () => {
    const provider = renderConsole('support_agent', '#/contacts/c-hidden');
    const hidden = {
      ...restricted,
      id: 'c-hidden',
      birthDate: null,
      address: null,
      __redactions: Object.fromEntries(
        ['fullName', 'email', 'phone', 'birthDate', 'address', 'ipAddress', 'healthNotes'].map((field) => [
          field,
          'PROCESSING_RESTRICTED',
        ]),
      ),
    };
    provider.getOne.mockResolvedValue({ data: hidden });
    await screen.findByText(en.custos.contacts.all_redacted);
    expect(screen.queryAllByRole('textbox')).toHaveLength(0);
    expect(screen.queryByText(en.custos.contacts.nothing_writable)).toBeNull();
  });
});

describe('an expiring session', () => {
  it('signs out when the token expires, on a screen that makes no request, and says why', async () => {
    renderConsole('support_agent', '#/contacts', Math.floor(Date.now() / 1000) + 2);
    await screen.findByText('Ann Example');
    expect(sessionStorage.getItem('custos.session')).not.toBeNull();
    await screen.findByText(en.custos.auth.expired, {}, { timeout: 5000 });
    expect(sessionStorage.getItem('custos.session')).toBeNull();
    await waitFor(() => expect(window.location.hash).toMatch(/^#\/login/));
  });
});
