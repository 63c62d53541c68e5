import { purposesForRoles } from '@custos/policy';
import { configure, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Admin, type DataProvider, HttpError, Resource } from 'react-admin';
import { describe, expect, it, vi } from 'vitest';
import { auditAlerts } from '../src/audit/alerts';
import { auditEvents } from '../src/audit/events';
import { auditRules } from '../src/audit/rules';
import { createAuthProvider } from '../src/auth/authProvider';
import { choosePurpose, startSession } from '../src/auth/session';
import { i18nProvider } from '../src/i18n';
import { en } from '../src/i18n/en';
import { Layout } from '../src/layout/Layout';
import { fakeToken } from './support';

configure({ asyncUtilTimeout: 5000 });

const texts = en.custos.audit;

const auditEvent = {
  id: 'ev-12345678-0001',
  occurredAt: '2026-03-04T05:06:07.000Z',
  service: 'crm',
  actor: 'sam',
  actorRoles: ['support_agent'],
  purpose: 'support',
  policyVersion: 'p1',
  operationType: 'query',
  operationName: 'Contacts',
  rootFields: ['contacts'],
  requestId: 'req-1',
  outcome: 'PARTIAL',
  subjectCount: 2,
  refusalReason: null,
  refusals: null,
  accesses: [
    {
      channel: 'QUERY',
      revealedFields: ['Contact.fullName'],
      redactedFields: ['Contact.healthNotes'],
      subjectCount: 2,
      contactIds: ['c-ann', 'c-bob'],
    },
  ],
};

const openAlert = {
  id: 'al-abcdef12-0001',
  ruleId: 'bulk-reads',
  kind: 'DISTINCT_CONTACTS',
  actor: 'sam',
  purpose: 'support',
  firedAt: '2026-03-04T06:00:00.000Z',
  service: 'crm',
  details: '{"distinctContacts":120}',
  status: 'OPEN',
  acknowledgedBy: null,
  acknowledgedAt: null,
};

const rule = {
  id: 'bulk-reads',
  kind: 'DISTINCT_CONTACTS',
  description: 'Many contacts read',
  params: '{"limit":100,"minutes":10}',
  enabled: true,
  updatedAt: '2026-03-01T00:00:00.000Z',
  updatedBy: 'olga',
};

function memoryProvider() {
  const alerts = [{ ...openAlert }];
  const gate: { release?: Promise<void> } = {};
  const provider = {
    getList: vi.fn(async (resource: string, { filter }: { filter: Record<string, unknown> }) => {
      if (resource === 'auditEvents') {
        const data = filter.actor && filter.actor !== auditEvent.actor ? [] : [auditEvent];
        return { data, total: data.length };
      }
      if (resource === 'auditAlerts') {
        const data = alerts.filter((alert) => !filter.status || alert.status === filter.status);
        return { data, total: data.length };
      }
      return { data: [rule], total: 1 };
    }),
    getOne: vi.fn(async (resource: string) => ({ data: resource === 'auditRules' ? rule : auditEvent })),
    update: vi.fn(async (_resource: string, { data }: { data: { params: string } }) => {
      if (data.params.includes('"limit":0')) {
        const problems = [{ field: 'limit', rule: 'min', message: 'must be at least 1' }];
        throw new HttpError('params.limit: must be at least 1 (BAD_USER_INPUT)', 400, {
          code: 'BAD_USER_INPUT',
          problems,
          errors: { params: 'limit: must be at least 1', root: { serverError: 'limit (BAD_USER_INPUT)' } },
        });
      }
      return { data: { ...rule, ...data } };
    }),
    acknowledgeAuditAlert: vi.fn(async ({ id }: { id: string }) => {
      await gate.release;
      const alert = alerts.find((a) => a.id === id);
      if (!alert) throw new Error('no alert');
      Object.assign(alert, {
        status: 'ACKNOWLEDGED',
        acknowledgedBy: 'olga',
        acknowledgedAt: '2026-03-05T00:00:00.000Z',
      });
      return { data: alert };
    }),
    verifyAuditLog: vi.fn(async () => ({
      data: {
        valid: true,
        batches: 7,
        events: 42,
        headSeq: 7,
        checkpoints: 3,
        lastCheckpointSeq: 6,
        brokenBatchSeq: null,
        problem: null,
      },
    })),
  };
  return { provider, alerts, gate };
}

function renderConsole(hash: string, role = 'privacy_officer', purpose: string | undefined = 'compliance') {
  startSession(fakeToken({ sub: 'olga', roles: [role] }));
  if (purpose) choosePurpose(purpose);
  window.location.hash = hash;
  const memory = memoryProvider();
  const props = {
    authProvider: createAuthProvider(),
    dataProvider: memory.provider as unknown as DataProvider,
    i18nProvider,
    layout: Layout,
  };
  render(
    <Admin {...props} requireAuth disableTelemetry>
      <Resource {...auditEvents} />
      <Resource {...auditAlerts} />
      <Resource {...auditRules} />
    </Admin>,
  );
  return memory;
}

describe('an audit list the server refuses', { timeout: 30_000 }, () => {
  it.each([
    ['#/auditEvents', texts.no_events],
    ['#/auditAlerts', texts.no_alerts],
    ['#/auditRules', texts.no_rules],
  ])('%s says so with the server’s message and code, never that there is none', async (hash, none) => {
    const { provider } = renderConsole(hash);
    provider.getList.mockRejectedValue(
      new HttpError('Operation not allowed for this purpose (FORBIDDEN)', 403, { code: 'FORBIDDEN' }),
    );
    const expected = en.custos.list_load_failed.replace(
      '%{reason}',
      'Operation not allowed for this purpose (FORBIDDEN)',
    );
    expect(await screen.findAllByText(expected)).toHaveLength(1);
    expect(screen.queryByText(none)).toBeNull();
  });
});

describe('the audit screens', { timeout: 30_000 }, () => {
  it('lists audit events filtered by actor, each with a named link to its accesses', async () => {
    const { provider } = renderConsole('#/auditEvents?filter=%7B%22actor%22%3A%22sam%22%7D');
    const link = await screen.findByRole('link', { name: 'Show event ev-12345' });
    expect(provider.getList).toHaveBeenCalledWith(
      'auditEvents',
      expect.objectContaining({ filter: { actor: 'sam' } }),
    );
    // Dates in the user's zone, UTC on hover.
    const when = document.querySelector('time');
    expect(when?.getAttribute('title')).toBe('2026-03-04 05:06:07 UTC');
    expect(when?.getAttribute('datetime')).toBe(auditEvent.occurredAt);
    await userEvent.setup().click(link);
    await screen.findByText(texts.accesses);
    expect(await screen.findAllByText('Contact.healthNotes')).toHaveLength(1);
    expect(screen.queryAllByText('Contact.fullName')).toHaveLength(1);
    expect(screen.queryAllByText('c-bob')).toHaveLength(1);
  });

  it('filters by a purpose the policy knows, chosen by its name', async () => {
    const user = userEvent.setup();
    const { provider } = renderConsole('#/auditEvents');
    await screen.findByRole('link', { name: 'Show event ev-12345' });
    await user.click(screen.getByRole('button', { name: /add filter/i }));
    await user.click(
      await screen.findByRole('menuitemcheckbox', { name: en.resources.auditEvents.fields.purpose }),
    );
    // The filter's select, in the page: the app bar's purpose selector bears the same name.
    const main = screen.getByRole('main');
    await user.click(
      await within(main).findByRole('combobox', { name: en.resources.auditEvents.fields.purpose }),
    );
    await user.click(await screen.findByRole('option', { name: en.custos.purposes.customer_support }));
    await waitFor(() =>
      expect(provider.getList).toHaveBeenCalledWith(
        'auditEvents',
        expect.objectContaining({ filter: { purpose: 'customer_support' } }),
      ),
    );
    // The declared purpose did not change: the list was asked for under compliance only.
    expect(screen.getByRole('banner').textContent).toContain(en.custos.purposes.compliance);
  });

  it('shows no event and says so for an actor with none', async () => {
    renderConsole('#/auditEvents?filter=%7B%22actor%22%3A%22nobody%22%7D');
    expect(await screen.findAllByText(texts.no_events)).toHaveLength(1);
    expect(screen.queryByRole('link', { name: /show event/i })).toBeNull();
  });

  it('acknowledges an alert pessimistically after a confirmation, then it leaves the open list', async () => {
    const user = userEvent.setup();
    const { provider, gate } = renderConsole('#/auditAlerts');
    const button = await screen.findByRole('button', { name: 'Acknowledge alert al-abcde' });
    await user.click(button);
    const dialog = await screen.findByRole('dialog', { name: texts.acknowledge.title });
    expect(within(dialog).queryAllByText(texts.acknowledge.explanation)).toHaveLength(1);
    let release = () => {};
    gate.release = new Promise<void>((resolve) => {
      release = resolve;
    });
    await user.click(within(dialog).getByRole('button', { name: texts.acknowledge.action }));
    await waitFor(() => expect(provider.acknowledgeAuditAlert).toHaveBeenCalledWith({ id: openAlert.id }));
    // Before the server answered, the alert is still listed and the dialog open.
    expect(screen.queryAllByRole('dialog')).toHaveLength(1);
    expect(
      screen.queryAllByRole('button', { name: 'Acknowledge alert al-abcde', hidden: true }),
    ).toHaveLength(1);
    release();
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(await screen.findAllByText(texts.no_alerts)).toHaveLength(1);
    expect(await screen.findAllByText(texts.acknowledge.done)).toHaveLength(1);
  });

  it('verifies the audit chain on demand and shows the result with the checkpoints', async () => {
    const user = userEvent.setup();
    const { provider } = renderConsole('#/auditAlerts');
    const verify = await screen.findByRole('button', { name: texts.chain.verify });
    expect(provider.verifyAuditLog).not.toHaveBeenCalled();
    await user.click(verify);
    expect(await screen.findAllByText(texts.chain.valid)).toHaveLength(1);
    expect(document.querySelector('[data-check="events"]')?.textContent).toBe('42');
    expect(document.querySelector('[data-check="checkpoints"]')?.textContent).toBe('3');
    expect(document.querySelector('[data-check="brokenBatchSeq"]')?.textContent).toBe('—');
  });

  it('offers no acknowledge and no verification where the purpose may not run them', async () => {
    const [purpose] = purposesForRoles(['support_agent']);
    expect(purpose).toBeDefined();
    const { provider } = renderConsole('#/auditAlerts', 'support_agent', purpose);
    await waitFor(() => expect(screen.queryByRole('button', { name: texts.chain.verify })).toBeNull());
    expect(screen.queryByRole('button', { name: /acknowledge alert/i })).toBeNull();
    expect(provider.getList).not.toHaveBeenCalledWith('auditAlerts', expect.anything());
    expect(provider.verifyAuditLog).not.toHaveBeenCalled();
  });

  it('edits a rule pessimistically: a refused value shows the server’s problem on its field', async () => {
    const user = userEvent.setup();
    const { provider } = renderConsole('#/auditRules/bulk-reads');
    const params = await screen.findByRole('textbox', { name: en.resources.auditRules.fields.params });
    await waitFor(() => expect((params as HTMLTextAreaElement).value).toBe(rule.params));
    await user.clear(params);
    await user.type(params, 'not json');
    await user.click(screen.getByRole('button', { name: /save/i }));
    expect(await screen.findAllByText(texts.params_object)).toHaveLength(1);
    expect(provider.update).not.toHaveBeenCalled();
    await user.clear(params);
    await user.type(params, '{{"limit":0,"minutes":10}');
    await user.click(screen.getByRole('button', { name: /save/i }));
    expect(await screen.findAllByText('limit: must be at least 1')).toHaveLength(1);
    expect(provider.update).toHaveBeenCalledTimes(1);
  });
});
