import { purposesForRoles, type Role } from '@custos/policy';
import { configure, screen, waitFor, within } from '@testing-library/react';
import { type AuthProvider, HttpError, Resource } from 'react-admin';
import { describe, expect, it, vi } from 'vitest';
import { createAuthProvider } from '../src/auth/authProvider';
import { contacts } from '../src/contacts';
import { en } from '../src/i18n/en';
import { renderSignedIn } from './console';

// Tabs and tables of react-admin take a while to render in jsdom on a busy machine.
configure({ asyncUtilTimeout: 5000 });

const ann = {
  id: 'c-ann',
  fullName: 'Ann Example',
  restricted: false,
  createdAt: '2026-01-02T03:04:05.000Z',
  updatedAt: '2026-01-02T03:04:05.000Z',
  __redactions: {},
};

const interactions = [
  {
    id: 'i-2',
    type: 'CALL',
    subject: 'Asked about the invoice',
    occurredAt: '2026-03-02T09:30:00.000Z',
    loggedBy: 'sam',
    __redactions: {},
  },
  {
    id: 'i-1',
    type: 'NOTE',
    subject: null,
    occurredAt: '2026-03-01T08:00:00.000Z',
    loggedBy: 'kim',
    __redactions: { subject: 'PURPOSE_NOT_ALLOWED' },
  },
];

const tickets = [
  {
    id: 't-1',
    subject: 'Cannot sign in',
    status: 'SOLVED',
    priority: 'HIGH',
    createdAt: '2026-02-10T10:00:00.000Z',
    solvedAt: '2026-02-11T10:00:00.000Z',
    __redactions: {},
  },
];

type Answer = { data: unknown[]; total: number; meta?: unknown } | Error;

/** In memory: the contact, and what each relation answers (rows, a redacted relation, or a failure). */
function memoryProvider(answers: Record<'interactions' | 'tickets', Answer>) {
  return {
    getOne: vi.fn(async () => ({ data: ann })),
    getManyReference: vi.fn(async (resource: string) => {
      const answer = answers[resource as keyof typeof answers] ?? { data: [], total: 0 };
      if (answer instanceof Error) throw answer;
      return answer;
    }),
  };
}

/**
 * The console signed in as `role` with the purpose it declares first, on the contact's `tab`; `deny` takes
 * resources away from what canAccess allows (the policy's answer otherwise).
 */
function renderTab(options: {
  role: Role;
  tab: string;
  answers: Record<'interactions' | 'tickets', Answer>;
  deny?: readonly string[];
}) {
  const provider = memoryProvider(options.answers);
  const auth = createAuthProvider();
  const authProvider: AuthProvider = {
    ...auth,
    canAccess: async (params) =>
      !(options.deny ?? []).includes(params.resource) && (await auth.canAccess!(params)),
  };
  renderSignedIn({
    role: options.role,
    purpose: purposesForRoles([options.role])[0]!,
    hash: `#/contacts/c-ann/show/${options.tab}`,
    dataProvider: provider,
    authProvider,
    children: <Resource {...contacts} />,
  });
  return provider;
}

const rows = { interactions: { data: interactions, total: 2 }, tickets: { data: tickets, total: 1 } };

describe('the contact’s interactions and tickets tabs', { timeout: 30_000 }, () => {
  it('lists the interactions, newest first as answered, with translated types, local dates and redacted fields', async () => {
    const provider = renderTab({ role: 'support_agent', tab: 'interactions', answers: rows });
    const table = (await screen.findByText(interactions[0]!.subject!)).closest('table') as HTMLElement;
    const body = within(table).getAllByRole('row').slice(1);
    expect(body).toHaveLength(interactions.length);
    for (const [index, interaction] of interactions.entries()) {
      const row = within(body[index]!);
      expect(
        row.queryAllByText(en.custos.interactions.types[interaction.type as 'CALL' | 'NOTE']),
      ).toHaveLength(1);
      expect(row.queryAllByText(interaction.loggedBy)).toHaveLength(1);
      const time = body[index]!.querySelector('time');
      expect(time?.getAttribute('datetime')).toBe(interaction.occurredAt);
      const reasons = [...body[index]!.querySelectorAll('[data-redaction-reason]')].map((chip) =>
        chip.getAttribute('data-redaction-reason'),
      );
      expect(reasons).toEqual(Object.values(interaction.__redactions));
    }
    expect(within(body[1]!).queryAllByText(en.custos.redaction.label)).toHaveLength(1);
    expect(provider.getManyReference).toHaveBeenCalledWith(
      'interactions',
      expect.objectContaining({ target: 'contactId', id: 'c-ann' }),
    );
    expect(await screen.findAllByRole('tab', { name: en.custos.tickets.tab })).toHaveLength(1);
  });

  it('lists the tickets with their status, priority and dates', async () => {
    renderTab({ role: 'support_agent', tab: 'tickets', answers: rows });
    const [ticket] = tickets;
    const row = (await screen.findByText(ticket!.subject)).closest('tr') as HTMLElement;
    expect(within(row).queryAllByText(en.custos.tickets.statuses.SOLVED)).toHaveLength(1);
    expect(within(row).queryAllByText(en.custos.tickets.priorities.HIGH)).toHaveLength(1);
    expect([...row.querySelectorAll('time')].map((time) => time.getAttribute('datetime'))).toEqual([
      ticket!.createdAt,
      ticket!.solvedAt,
    ]);
    expect(screen.queryByText(en.custos.tickets.empty)).toBeNull();
  });

  it('shows a relation the purpose may not follow as redacted, with the reason, never as none', async () => {
    const answers = {
      ...rows,
      tickets: { data: [], total: 0, meta: { redaction: 'PURPOSE_NOT_ALLOWED' } },
    };
    renderTab({ role: 'admin', tab: 'tickets', answers });
    const status = (await screen.findByText(en.custos.tickets.redacted)).closest('[role="status"]');
    expect(status).not.toBeNull();
    const chip = (status as HTMLElement).querySelector('[data-redaction-reason]');
    expect(chip?.getAttribute('data-redaction-reason')).toBe('PURPOSE_NOT_ALLOWED');
    expect(chip?.textContent).toContain(en.custos.reasons.PURPOSE_NOT_ALLOWED);
    expect(screen.queryByText(en.custos.tickets.empty)).toBeNull();
    expect(screen.queryByRole('table')).toBeNull();
  });

  it('says when there is nothing, without a redaction', async () => {
    renderTab({
      role: 'support_agent',
      tab: 'tickets',
      answers: { ...rows, tickets: { data: [], total: 0 } },
    });
    await screen.findByText(en.custos.tickets.empty);
    expect(document.querySelector('[data-redaction-reason]')).toBeNull();
    expect(screen.queryByText(en.custos.tickets.redacted)).toBeNull();
  });

  it('says when a relation could not be loaded, and notifies the server’s message and code', async () => {
    const message = 'Service unavailable (INTERNAL_SERVER_ERROR)';
    const failure = new HttpError(message, 502, { code: 'INTERNAL_SERVER_ERROR' });
    renderTab({ role: 'support_agent', tab: 'interactions', answers: { ...rows, interactions: failure } });
    // After react-query's three retries, with back-off (1 + 2 + 4 s).
    await screen.findByText(en.custos.interactions.load_failed, {}, { timeout: 20_000 });
    await screen.findByText(message);
    expect(screen.queryByText(en.custos.interactions.empty)).toBeNull();
  });

  it('offers each tab only where canAccess allows it', async () => {
    renderTab({ role: 'support_agent', tab: '', answers: rows, deny: ['tickets'] });
    expect(await screen.findAllByRole('tab', { name: en.custos.interactions.tab })).toHaveLength(1);
    await waitFor(() => expect(screen.getAllByRole('tab').length).toBeGreaterThan(1));
    const names = screen.getAllByRole('tab').map((tab) => tab.textContent);
    expect(names).toContain(en.custos.interactions.tab);
    expect(names).not.toContain(en.custos.tickets.tab);
  });
});
