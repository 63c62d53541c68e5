import { mayRunOperation, purposesForRoles } from '@custos/policy';
import { configure, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { HttpError, Resource } from 'react-admin';
import { describe, expect, it, vi } from 'vitest';
import { contacts } from '../src/contacts';
import { contactDuplicates } from '../src/duplicates';
import { en } from '../src/i18n/en';
import { renderSignedIn } from './console';

configure({ asyncUtilTimeout: 5000 });

const texts = en.custos.duplicates;
const menuName = en.resources.contactDuplicates.name.split(' |||| ')[1] ?? '';

const written = {
  id: 'c0ffee01-0000-4000-8000-000000000001',
  fullName: 'Ann New',
  email: 'ann@example.test',
};
const existing = {
  id: 'beef0002-0000-4000-8000-000000000002',
  fullName: null,
  email: null,
  __redactions: { fullName: 'PROCESSING_RESTRICTED', email: 'PROCESSING_RESTRICTED' },
};

const openPair = {
  id: 'aaaa1111-0000-4000-8000-000000000001',
  contact: { ...written, __redactions: {} },
  existingContact: existing,
  detectedForPurpose: 'sales',
  detectedAt: '2026-03-04T05:06:07.000Z',
  resolution: null,
  resolvedAt: null,
  __redactions: {},
};
const erasedPair = {
  ...openPair,
  id: 'bbbb2222-0000-4000-8000-000000000002',
  contact: null,
  detectedForPurpose: 'customer_support',
  detectedAt: '2026-03-05T05:06:07.000Z',
};

/** The queue in memory: resolving sets the resolution, after `gate` (to see the screen before the answer). */
function memoryProvider() {
  const pairs = [structuredClone(openPair), structuredClone(erasedPair)];
  const gate: { release?: Promise<void>; refuse?: HttpError } = {};
  const provider = {
    getList: vi.fn(async (_resource: string, { filter }: { filter: Record<string, unknown> }) => {
      const status = filter.status ?? 'OPEN';
      const data = pairs.filter(
        (pair) => status === 'ALL' || (status === 'OPEN') === (pair.resolution === null),
      );
      return { data, total: data.length };
    }),
    getOne: vi.fn(async () => ({ data: written })),
    resolveContactDuplicate: vi.fn(async ({ id, resolution }: { id: string; resolution: string }) => {
      await gate.release;
      if (gate.refuse) throw gate.refuse;
      const pair = pairs.find((p) => p.id === id);
      if (!pair) throw new Error('no pair');
      Object.assign(pair, { resolution, resolvedAt: '2026-03-06T00:00:00.000Z' });
      return { data: pair };
    }),
  };
  return { provider, pairs, gate };
}

function renderQueue(
  role: 'privacy_officer' | 'support_agent',
  purpose: string,
  hash = '#/contactDuplicates',
) {
  const memory = memoryProvider();
  renderSignedIn({
    role,
    purpose,
    hash,
    dataProvider: memory.provider,
    children: [<Resource key="c" {...contacts} />, <Resource key="d" {...contactDuplicates} />],
  });
  return memory;
}

const rowOf = async (id: string) =>
  (await screen.findByRole('button', { name: `Resolve pair ${id.slice(0, 8)} as distinct people` })).closest(
    'tr',
  ) as HTMLElement;

describe('the duplicate review queue', { timeout: 30_000 }, () => {
  it('lists the open pairs with a link to each contact, redacted fields with their reason, purpose and time', async () => {
    // The premise, from the policy: compliance lists the queue and resolves.
    expect(mayRunOperation('compliance', 'Query.contactDuplicates')).toBe(true);
    const { provider } = renderQueue('privacy_officer', 'compliance');
    const row = await rowOf(openPair.id);
    expect(provider.getList).toHaveBeenCalledWith(
      'contactDuplicates',
      expect.objectContaining({ filter: { status: 'OPEN' } }),
    );
    const links = within(row).getAllByRole('link');
    expect(links.map((link) => [link.textContent, link.getAttribute('href')])).toEqual([
      [`Contact ${written.id.slice(0, 8)}`, `#/contacts/${written.id}/show`],
      [`Contact ${existing.id.slice(0, 8)}`, `#/contacts/${existing.id}/show`],
    ]);
    expect(within(row).queryAllByText(written.fullName)).toHaveLength(1);
    expect(within(row).queryAllByText(written.email)).toHaveLength(1);
    // The hidden person's fields: "redacted" with the reason, never empty.
    const chips = row.querySelectorAll('[data-redaction-reason="PROCESSING_RESTRICTED"]');
    expect(chips).toHaveLength(2);
    expect(chips[0]?.textContent).toContain(en.custos.reasons.PROCESSING_RESTRICTED);
    expect(within(row).queryAllByText(en.custos.purposes.sales)).toHaveLength(1);
    expect(row.querySelector('time')?.getAttribute('title')).toBe('2026-03-04 05:06:07 UTC');
    // A contact gone since is said to be unavailable, with no link.
    const erasedRow = await rowOf(erasedPair.id);
    expect(within(erasedRow).queryAllByText(texts.contact_unavailable)).toHaveLength(1);
    expect(within(erasedRow).getAllByRole('link')).toHaveLength(1);
    expect(screen.queryAllByRole('menuitem', { name: menuName })).toHaveLength(1);
  });

  it('resolves a pair as distinct people pessimistically after a confirmation, and it leaves the open list', async () => {
    const user = userEvent.setup();
    const { provider, gate } = renderQueue('privacy_officer', 'compliance');
    await rowOf(openPair.id);
    await user.click(screen.getByRole('button', { name: 'Resolve pair aaaa1111 as distinct people' }));
    const dialog = await screen.findByRole('dialog');
    expect(within(dialog).queryAllByText(texts.resolutions.DISTINCT_PEOPLE.title)).toHaveLength(1);
    expect(within(dialog).queryAllByText(texts.resolutions.DISTINCT_PEOPLE.explanation)).toHaveLength(1);
    expect(within(dialog).queryAllByText(texts.irreversible)).toHaveLength(1);
    let release = () => {};
    gate.release = new Promise<void>((resolve) => {
      release = resolve;
    });
    await user.click(within(dialog).getByRole('button', { name: texts.resolutions.DISTINCT_PEOPLE.confirm }));
    await waitFor(() =>
      expect(provider.resolveContactDuplicate).toHaveBeenCalledWith({
        id: openPair.id,
        resolution: 'DISTINCT_PEOPLE',
      }),
    );
    // Before the server answered: the dialog is open and the pair still listed.
    expect(screen.queryAllByRole('dialog')).toHaveLength(1);
    expect(
      screen.queryAllByRole('button', { name: /resolve pair aaaa1111 as the same person/i, hidden: true }),
    ).toHaveLength(1);
    release();
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(await screen.findAllByText(texts.resolutions.DISTINCT_PEOPLE.done)).toHaveLength(1);
    await waitFor(() => expect(screen.queryByRole('button', { name: /resolve pair aaaa1111/i })).toBeNull());
    // The other open pair stays.
    expect(
      screen.queryAllByRole('button', { name: 'Resolve pair bbbb2222 as the same person' }),
    ).toHaveLength(1);
  });

  it('shows a refusal with the server’s message and code, and the pair stays open', async () => {
    const user = userEvent.setup();
    const { provider, gate, pairs } = renderQueue('privacy_officer', 'compliance');
    gate.refuse = new HttpError('id: this review is already resolved (CONFLICT)', 409, { code: 'CONFLICT' });
    await rowOf(openPair.id);
    await user.click(screen.getByRole('button', { name: 'Resolve pair aaaa1111 as the same person' }));
    const dialog = await screen.findByRole('dialog');
    expect(within(dialog).queryAllByText(texts.resolutions.SAME_PERSON.explanation)).toHaveLength(1);
    await user.click(within(dialog).getByRole('button', { name: texts.resolutions.SAME_PERSON.confirm }));
    const shown = await screen.findAllByText('id: this review is already resolved (CONFLICT)');
    // In the dialog and in the notification.
    expect(shown.length).toBe(2);
    expect(provider.resolveContactDuplicate).toHaveBeenCalledWith({
      id: openPair.id,
      resolution: 'SAME_PERSON',
    });
    expect(pairs[0]?.resolution).toBeNull();
    await user.click(within(screen.getByRole('dialog')).getByRole('button', { name: en.ra.action.cancel }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(
      screen.queryAllByRole('button', { name: 'Resolve pair aaaa1111 as distinct people' }),
    ).toHaveLength(1);
  });

  it('filters by state: resolved pairs show their resolution, with no action; none says so', async () => {
    const { provider, pairs } = renderQueue(
      'privacy_officer',
      'compliance',
      `#/contactDuplicates?filter=${encodeURIComponent(JSON.stringify({ status: 'RESOLVED' }))}`,
    );
    expect(await screen.findAllByText(texts.none)).toHaveLength(1);
    expect(provider.getList).toHaveBeenCalledWith(
      'contactDuplicates',
      expect.objectContaining({ filter: { status: 'RESOLVED' } }),
    );
    expect(pairs.every((pair) => pair.resolution === null)).toBe(true);
    expect(screen.queryByRole('button', { name: /resolve pair/i })).toBeNull();
  });

  it('says so when the queue cannot be loaded, with the server’s message and code', async () => {
    const memory = memoryProvider();
    memory.provider.getList.mockRejectedValue(
      new HttpError('contactDuplicates: the database is unavailable (UNAVAILABLE)', 503, {
        code: 'UNAVAILABLE',
      }),
    );
    renderSignedIn({
      role: 'privacy_officer',
      purpose: 'compliance',
      hash: '#/contactDuplicates',
      dataProvider: memory.provider,
      children: [<Resource key="d" {...contactDuplicates} />],
    });
    const reason = 'contactDuplicates: the database is unavailable (UNAVAILABLE)';
    expect(await screen.findAllByText(texts.load_failed.replace('%{reason}', reason))).toHaveLength(1);
    expect(screen.queryByRole('button', { name: /resolve pair/i })).toBeNull();
    expect(screen.queryByText(texts.none)).toBeNull();
  });

  it('is neither in the menu nor asked for where the purpose may not list it', async () => {
    const [purpose] = purposesForRoles(['support_agent']);
    expect(purpose).toBeDefined();
    expect(mayRunOperation(purpose!, 'Query.contactDuplicates')).toBe(false);
    const { provider } = renderQueue('support_agent', purpose!, '#/contacts');
    await screen.findByRole('menuitem', { name: en.resources.contacts.name.split(' |||| ')[1] ?? '' });
    expect(screen.queryByRole('menuitem', { name: menuName })).toBeNull();
    expect(provider.getList).not.toHaveBeenCalledWith('contactDuplicates', expect.anything());
  });
});
