import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { screenshot, seriousViolations, signIn, useConsoleStack, withPage } from './support/stack.js';

// Issue 15, end to end in Chromium against the real gateway, subgraph and PostgreSQL: duplicates made the way they
// arise — a sales representative writes a contact with the email of a contact who objected to sales (hidden from
// sales, so the write goes through and the pair is queued) — then a privacy officer sees the open pairs, as the
// database has them, and resolves one as distinct people and one as the same person; a role without access has no
// menu entry.

const stack = useConsoleStack(20);
const OFFICER = 'officer-duplicates-e2e';

interface OpenPair {
  readonly id: string;
  readonly contact_id: string;
  readonly existing_contact_id: string;
  readonly detected_for_purpose: string;
}

const openPairs = () =>
  stack().custos.sql<OpenPair>(
    `select id, contact_id, existing_contact_id, detected_for_purpose
       from contact_duplicate where resolved_at is null order by detected_at, id`,
  );

async function api<T>(roles: string[], purpose: string, query: string, variables: Record<string, unknown>) {
  const token = await stack().custos.token(roles, roles[0] === 'privacy_officer' ? OFFICER : undefined);
  const res = await stack().custos.gql<T>(query, { token, purpose, variables });
  expect(res.body.errors).toBeUndefined();
  return res.body.data as T;
}

/** A live contact objects to sales (Art 21, through the API), and sales writes a new contact with its email. */
async function duplicateOf(existing: { id: string; email: string }, fullName: string): Promise<string> {
  await api(
    ['privacy_officer'],
    'compliance',
    'mutation($id: ID!) { objectToProcessing(contactId: $id, purpose: "sales") { id } }',
    { id: existing.id },
  );
  const created = await api<{ createContact: { id: string } }>(
    ['sales_rep'],
    'sales',
    'mutation($input: CreateContactInput!) { createContact(input: $input) { id } }',
    { input: { fullName, email: existing.email } },
  );
  return created.createContact.id;
}

const resolveButton = (page: Page, pair: string, how: 'distinct people' | 'the same person') =>
  page.getByRole('button', { name: `Resolve pair ${pair.slice(0, 8)} as ${how}` });

describe('the duplicate review queue in Chromium', () => {
  it('as privacy officer: sees the open pairs, resolves one as distinct and one as the same person', async () => {
    const candidates = await stack().custos.sql<{ id: string; email: string }>(
      `select id, email from contact
        where erased_at is null and not restricted and email is not null
          and id not in (select contact_id from consent_state where purpose = 'sales')
        order by created_at, id limit 2`,
    );
    expect(candidates).toHaveLength(2);
    expect(await openPairs()).toEqual([]);
    const written = [
      await duplicateOf(candidates[0]!, 'Shared Mailbox'),
      await duplicateOf(candidates[1]!, 'Same Person Twice'),
    ];
    // The pairs as the database has them: each written contact with the hidden one, detected for sales.
    const pairs = await openPairs();
    expect(
      pairs.map((pair) => [pair.contact_id, pair.existing_contact_id, pair.detected_for_purpose]),
    ).toEqual([
      [written[0], candidates[0]!.id, 'sales'],
      [written[1], candidates[1]!.id, 'sales'],
    ]);
    const [distinct, same] = pairs as [OpenPair, OpenPair];

    await withPage(stack(), async (page) => {
      await signIn(stack(), page, 'Privacy officer', OFFICER, '/contactDuplicates');
      await resolveButton(page, distinct.id, 'distinct people').waitFor();
      // Each open pair, oldest first, with an explicit link to each of its contacts.
      const rows = page.locator('tbody tr');
      await expect.poll(() => rows.count()).toBe(pairs.length);
      for (const [index, pair] of pairs.entries()) {
        const row = rows.nth(index);
        await resolveButton(page, pair.id, 'distinct people').waitFor();
        expect(await row.getByRole('button', { name: /^Resolve pair/ }).count()).toBe(2);
        expect(
          await row
            .getByRole('button', { name: /^Resolve pair/ })
            .first()
            .getAttribute('aria-label'),
        ).toContain(pair.id.slice(0, 8));
        for (const contact of [pair.contact_id, pair.existing_contact_id]) {
          const link = row.getByRole('link', { name: `Contact ${contact.slice(0, 8)}`, exact: true });
          expect(await link.getAttribute('href')).toBe(`#/contacts/${contact}/show`);
        }
        await row.getByText(candidates[index]!.email).first().waitFor();
        await row.getByText('Sales', { exact: true }).waitFor();
      }
      expect(await page.getByRole('menuitem', { name: 'Duplicate reviews' }).count()).toBe(1);
      expect(await seriousViolations(page)).toEqual([]);
      await screenshot(page, 'duplicates-01-open-pairs');

      // Distinct people: after a confirmation that says what it means.
      await resolveButton(page, distinct.id, 'distinct people').click();
      const distinctDialog = page.getByRole('dialog', { name: 'Two different people?' });
      await distinctDialog.getByText(/both contacts stay/).waitFor();
      await distinctDialog.getByText(/cannot be undone/).waitFor();
      expect(await seriousViolations(page)).toEqual([]);
      await screenshot(page, 'duplicates-02-distinct-confirmation');
      await distinctDialog.getByRole('button', { name: 'Resolve as distinct people' }).click();
      await page.getByText('Review closed: distinct people').waitFor();
      await resolveButton(page, distinct.id, 'distinct people').waitFor({ state: 'detached' });
      await expect.poll(() => rows.count()).toBe(1);

      // The same person: merging or erasing is left to the ordinary tools, the dialog says so.
      await resolveButton(page, same.id, 'the same person').click();
      const sameDialog = page.getByRole('dialog', { name: 'The same person twice?' });
      await sameDialog.getByText(/merge or erase the extra contact/).waitFor();
      expect(await seriousViolations(page)).toEqual([]);
      await screenshot(page, 'duplicates-03-same-person-confirmation');
      await sameDialog.getByRole('button', { name: 'Resolve as the same person' }).click();
      await page.getByText('Review closed: the same person').waitFor();
      await page.getByText('No duplicate review in this state.').waitFor();
      expect(await resolveButton(page, same.id, 'the same person').count()).toBe(0);
      expect(await seriousViolations(page)).toEqual([]);
      await screenshot(page, 'duplicates-04-queue-empty');

      // The database: both closed, each with its resolution and a time; none left open.
      const closed = await stack().custos.sql<{ id: string; resolution: string; resolved: boolean }>(
        `select id, resolution, resolved_at is not null as resolved from contact_duplicate
          where id = any($1::uuid[]) order by detected_at, id`,
        [[distinct.id, same.id]],
      );
      expect(closed).toEqual([
        { id: distinct.id, resolution: 'DISTINCT_PEOPLE', resolved: true },
        { id: same.id, resolution: 'SAME_PERSON', resolved: true },
      ]);
      expect(await openPairs()).toEqual([]);
      // Both contacts of each pair stay: resolving changes no contact.
      const live = await stack().custos.sql<{ n: number }>(
        'select count(*)::int as n from contact where id = any($1::uuid[]) and erased_at is null',
        [[...written, ...candidates.map((c) => c.id)]],
      );
      expect(live[0]?.n).toBe(4);

      // The resolved pairs, by the state filter, with their resolution and no action left.
      await page.goto(
        `${stack().url}#/contactDuplicates?filter=${encodeURIComponent(JSON.stringify({ status: 'RESOLVED' }))}`,
      );
      await expect.poll(() => rows.count()).toBe(2);
      await rows.nth(0).getByText('Distinct people', { exact: true }).waitFor();
      await rows.nth(1).getByText('Same person', { exact: true }).waitFor();
      expect(await page.getByRole('button', { name: /^Resolve pair/ }).count()).toBe(0);
      expect(await seriousViolations(page)).toEqual([]);
      await screenshot(page, 'duplicates-05-resolved');

      // The dashboard links to the queue.
      await page.goto(`${stack().url}#/`);
      await page.getByRole('link', { name: 'Open the duplicate review queue' }).click();
      await page.waitForURL((url) => url.hash.startsWith('#/contactDuplicates'));
    });
  }, 180_000);

  it('has no menu entry for a role whose purposes may not list the queue', async () => {
    await withPage(stack(), async (page) => {
      await signIn(stack(), page, 'Sales representative', 'sales-duplicates-e2e');
      await page.getByRole('menuitem', { name: 'Contacts' }).waitFor();
      expect(await page.getByRole('menuitem', { name: 'Duplicate reviews' }).count()).toBe(0);
      expect(await seriousViolations(page)).toEqual([]);
      await screenshot(page, 'duplicates-06-sales-menu');
    });
  }, 120_000);
});
