import { fieldVisibility, ROLE_PURPOSES } from '@custos/policy';
import { configure, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Admin, type DataProvider, HttpError, Resource } from 'react-admin';
import { describe, expect, it, vi } from 'vitest';
import { createAuthProvider } from '../src/auth/authProvider';
import { startSession } from '../src/auth/session';
import { contacts } from '../src/contacts';
import { i18nProvider } from '../src/i18n';
import { en } from '../src/i18n/en';
import { Layout } from '../src/layout/Layout';
import { fakeToken } from './support';

// react-admin's lists and filter forms take a while to render in jsdom on a busy machine.
configure({ asyncUtilTimeout: 5000 });

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

const acme = { id: 'co-acme', name: 'Acme Ltd', domain: 'acme.test', country: 'FR' };
const globex = { id: 'co-globex', name: 'Globex', domain: 'globex.test', country: 'US' };

function memoryProvider() {
  const records: ContactRecord[] = [ann, restricted];
  const companies = [acme, globex];
  const provider = {
    getList: vi.fn(async (resource: string, { filter }: { filter: Record<string, unknown> }) => {
      if (resource !== 'companies') return { data: records, total: records.length };
      const search = String(filter.search ?? '').toLowerCase();
      const data = companies.filter((company) => company.name.toLowerCase().includes(search));
      return { data, total: data.length };
    }),
    getMany: vi.fn(async (_resource: string, { ids }: { ids: string[] }) => ({
      data: companies.filter((company) => ids.includes(company.id)),
    })),
    getOne: vi.fn(async (_resource: string, { id }: { id: string }) => ({
      data: records.find((record) => record.id === id) ?? records[0],
    })),
    update: vi.fn(async (_resource: string, { data }: { data: ContactRecord }) => ({ data })),
  };
  return provider;
}

function renderConsole(
  role: 'support_agent' | 'analyst' | 'privacy_officer' | 'marketer' | 'admin',
  hash: string,
  exp?: number,
) {
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

const fields = en.resources.contacts.fields;
/** The filters the list's "Add filter" menu offers, by their labels. */
async function offeredFilters(user: ReturnType<typeof userEvent.setup>): Promise<string[]> {
  await user.click(await screen.findByRole('button', { name: en.ra.action.add_filter }));
  const items = await screen.findAllByRole('menuitemcheckbox');
  const labels = items.map((item) => item.textContent ?? '');
  await user.keyboard('{Escape}');
  await waitFor(() => expect(screen.queryAllByRole('menuitemcheckbox')).toHaveLength(0));
  return labels;
}
const contactCalls = (provider: ReturnType<typeof memoryProvider>) =>
  provider.getList.mock.calls.filter(([resource]) => resource === 'contacts');

describe('the contact list’s filters', { timeout: 30_000 }, () => {
  it('offers every filter of the API to a purpose that may read what each matches on', async () => {
    const user = userEvent.setup();
    renderConsole('privacy_officer', '#/contacts');
    await screen.findByText('Ann Example');
    // The search box, always shown (named by its placeholder).
    expect(screen.getAllByPlaceholderText(en.ra.action.search)).toHaveLength(1);
    expect(await offeredFilters(user)).toEqual([
      fields.country,
      fields.companyId,
      fields.createdAfter,
      fields.createdBefore,
    ]);
  });

  it('leaves out the company filter where the policy never lets the purpose know who works where', async () => {
    // The premise, from the policy: marketing reads the country, never the company.
    expect(fieldVisibility('marketing', 'Contact.company')).toBe('never');
    expect(fieldVisibility('marketing', 'Contact.country')).not.toBe('never');
    const user = userEvent.setup();
    renderConsole('marketer', '#/contacts');
    await screen.findByText('Ann Example');
    expect(screen.getAllByPlaceholderText(en.ra.action.search)).toHaveLength(1);
    const offered = await offeredFilters(user);
    expect(offered).toEqual([fields.country, fields.createdAfter, fields.createdBefore]);
    expect(offered).not.toContain(fields.companyId);
  });

  it('finds a company by name and filters by its id', async () => {
    const user = userEvent.setup();
    const provider = renderConsole('privacy_officer', '#/contacts');
    await screen.findByText('Ann Example');
    await user.click(screen.getByRole('button', { name: en.ra.action.add_filter }));
    await user.click(await screen.findByRole('menuitemcheckbox', { name: fields.companyId }));
    const company = await screen.findByRole('combobox', { name: fields.companyId });
    await user.type(company, 'acm');
    // Found by name through the API's search: Acme is offered for "acm", Globex is not.
    await waitFor(() =>
      expect(provider.getList).toHaveBeenCalledWith(
        'companies',
        expect.objectContaining({ filter: expect.objectContaining({ search: 'acm' }) }),
      ),
    );
    await waitFor(() => expect(screen.queryByRole('option', { name: globex.name })).toBeNull());
    expect(contactCalls(provider).some(([, params]) => 'companyId' in params.filter)).toBe(false);
    await user.click(await screen.findByRole('option', { name: acme.name }));
    await waitFor(() =>
      expect(contactCalls(provider).at(-1)?.[1]).toMatchObject({ filter: { companyId: acme.id } }),
    );
  });

  it('filters by creation time, from and before the instants typed in the user’s time zone', async () => {
    const user = userEvent.setup();
    const provider = renderConsole('privacy_officer', '#/contacts');
    await screen.findByText('Ann Example');
    for (const label of [fields.createdAfter, fields.createdBefore]) {
      await user.click(screen.getByRole('button', { name: en.ra.action.add_filter }));
      await user.click(await screen.findByRole('menuitemcheckbox', { name: label }));
    }
    const from = await screen.findByLabelText(fields.createdAfter);
    const before = await screen.findByLabelText(fields.createdBefore);
    expect(from.getAttribute('type')).toBe('datetime-local');
    fireEvent.change(from, { target: { value: '2026-01-01T09:30' } });
    fireEvent.change(before, { target: { value: '2026-02-01T18:00' } });
    await waitFor(() =>
      expect(contactCalls(provider).at(-1)?.[1]).toMatchObject({
        filter: { createdAfter: '2026-01-01T09:30', createdBefore: '2026-02-01T18:00' },
      }),
    );
  });
});

describe('the contact list’s columns', () => {
  it('shows a personal column only where the purpose may read the field', async () => {
    // The premise, from the policy: administration lists contacts but never sees a name, an email or a country.
    for (const field of ['fullName', 'email', 'country'] as const) {
      expect(fieldVisibility('administration', `Contact.${field}`)).toBe('never');
    }
    renderConsole('admin', '#/contacts');
    await waitFor(() => expect(screen.getAllByRole('link', { name: /^Show contact/ })).toHaveLength(2));
    // Nor a search box: it matches on the name and the email.
    expect(screen.queryByPlaceholderText(en.ra.action.search)).toBeNull();
    expect(screen.getAllByRole('columnheader', { name: fields.createdAt })).toHaveLength(1);
    for (const field of [fields.fullName, fields.email, fields.country]) {
      expect(screen.queryByRole('columnheader', { name: field })).toBeNull();
    }
    expect(document.querySelectorAll('[data-redaction-reason]')).toHaveLength(0);
  });

  it('shows them to a purpose that may read them', async () => {
    renderConsole('support_agent', '#/contacts');
    await screen.findByText('Ann Example');
    for (const field of [fields.fullName, fields.email, fields.country, fields.createdAt]) {
      expect(screen.getAllByRole('columnheader', { name: field })).toHaveLength(1);
    }
  });
});

describe('a contact list without rows', { timeout: 30_000 }, () => {
  it('says none matches when the server answers no row', async () => {
    const provider = renderConsole('support_agent', '#/contacts');
    provider.getList.mockResolvedValue({ data: [], total: 0 });
    await screen.findByText(en.custos.contacts.none);
    expect(screen.queryByRole('alert')).toBeNull();
    expect(screen.queryByRole('link', { name: /^Show contact/ })).toBeNull();
  });

  it('says why, with the server’s message and code, when the server refuses it — never that there is none', async () => {
    const provider = renderConsole('support_agent', '#/contacts');
    provider.getList.mockRejectedValue(
      new HttpError('filter.companyId: is not available for purpose customer_support (BAD_USER_INPUT)', 400, {
        code: 'BAD_USER_INPUT',
      }),
    );
    const expected = en.custos.list_load_failed.replace(
      '%{reason}',
      'filter.companyId: is not available for purpose customer_support (BAD_USER_INPUT)',
    );
    expect(await screen.findAllByText(expected)).toHaveLength(1);
    expect(screen.queryByText(en.custos.contacts.none)).toBeNull();
    expect(screen.queryByText(/No Contacts? (found|yet)/i)).toBeNull();
  });
});

describe('the contact’s page', () => {
  it('shows the fields the purpose may read, redacted where this contact’s state hides them', async () => {
    // The premise, from the policy: customer support never sees health notes nor the IP address.
    expect(fieldVisibility('customer_support', 'Contact.healthNotes')).toBe('never');
    expect(fieldVisibility('customer_support', 'Contact.ipAddress')).toBe('never');
    renderConsole('support_agent', '#/contacts/c-restricted/show');
    await screen.findAllByText(fields.phone);
    for (const field of [fields.fullName, fields.email, fields.phone, fields.country]) {
      expect(screen.getAllByText(field).length).toBeGreaterThan(0);
    }
    expect(screen.queryByText(fields.healthNotes)).toBeNull();
    expect(screen.queryByText(fields.ipAddress)).toBeNull();
    const reasons = [...document.querySelectorAll('[data-redaction-reason]')].map((chip) =>
      chip.getAttribute('data-redaction-reason'),
    );
    expect(reasons).toEqual([
      'PROCESSING_RESTRICTED',
      'PROCESSING_RESTRICTED',
      'PROCESSING_RESTRICTED',
      'PROCESSING_RESTRICTED',
    ]);
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
    // The phone's format, from the translations (a translation is a file, not a code change).
    expect(screen.queryAllByText(en.custos.contacts.phone_help)).toHaveLength(1);
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
