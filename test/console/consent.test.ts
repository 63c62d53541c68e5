import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ConsoleStack,
  newPage,
  screenshot,
  seriousViolations,
  signIn,
  startConsoleStack,
} from './support/stack.js';

// Issue 15, end to end in Chromium against the real gateway, subgraph and PostgreSQL: a privacy officer withdraws
// a contact's marketing consent on its Consent tab (confirmed, with its evidence source), and a marketer then no
// longer finds that contact — as the API's answer for marketing says, before and after; and records a grant
// through the form and an objection (Art 21) that takes the contact out of what sales sees.

let stack: ConsoleStack;

beforeAll(async () => {
  stack = await startConsoleStack();
}, 180_000);
afterAll(() => stack?.close());

const OFFICER = 'officer-consent-e2e';
/** What the contact list says without rows (i18n/en.ts `custos.contacts.none`). */
const NONE_FOUND = 'No contact to show: none your declared purpose may see matches these filters.';

async function officerGql<T>(query: string, variables: Record<string, unknown> = {}) {
  const res = await stack.custos.gql<T>(query, {
    token: await stack.custos.token(['privacy_officer'], OFFICER),
    purpose: 'compliance',
    variables,
  });
  expect(res.body.errors).toBeUndefined();
  return res.body.data as T;
}

/** What marketing sees of the contacts whose name or email matches `search` (the list's filter), by the API. */
async function marketingFinds(search: string): Promise<string[]> {
  const res = await stack.custos.gql<{ contacts: { edges: { node: { id: string } }[] } }>(
    'query($search: String) { contacts(first: 50, filter: { search: $search }) { edges { node { id } } } }',
    { token: await stack.custos.token(['marketer']), purpose: 'marketing', variables: { search } },
  );
  expect(res.body.errors).toBeUndefined();
  return res.body.data!.contacts.edges.map((edge) => edge.node.id);
}

/** Picks `option` in a select, and waits for its menu to be gone (axe would catch it fading out). */
async function choose(page: Page, select: Locator, option: string) {
  await select.click();
  await page.getByRole('option', { name: option, exact: true }).click();
  await page.getByRole('listbox').waitFor({ state: 'detached' });
}

async function currentMarketing(contactId: string) {
  const data = await officerGql<{ currentConsents: { purpose: string; status: string }[] }>(
    'query($id: ID!) { currentConsents(contactId: $id) { purpose status } }',
    { id: contactId },
  );
  return data.currentConsents.find((state) => state.purpose === 'marketing')?.status;
}

describe('the Consent tab in Chromium', () => {
  it('as privacy officer, on the Consent tab, takes the contact out of what marketing sees', async () => {
    // A contact marketing may see once it consents: live, not restricted, no objection; its email is unique.
    const [contact] = await stack.custos.sql<{ id: string; email: string }>(
      `select id, email from contact
        where erased_at is null and not restricted and email is not null
          and id not in (select contact_id from consent_state where purpose = 'marketing')
        order by created_at desc limit 1`,
    );
    expect(contact).toBeDefined();
    const { id, email } = contact!;
    const notices = await officerGql<{ privacyNotices: { edges: { node: { version: string } }[] } }>(
      '{ privacyNotices(first: 1) { edges { node { version } } } }',
    );
    const version = notices.privacyNotices.edges[0]?.node.version;
    expect(version).toBeDefined();
    expect(await marketingFinds(email)).toEqual([]);
    await officerGql(`mutation($input: RecordConsentInput!) { recordConsent(input: $input) { id status } }`, {
      input: {
        contactId: id,
        purpose: 'marketing',
        status: 'GRANTED',
        method: 'PHONE',
        noticeVersion: version,
        evidence: { source: 'call reference E2E-1' },
      },
    });
    expect(await currentMarketing(id)).toBe('GRANTED');
    // The premise, from the API: with the grant, marketing finds the contact.
    expect(await marketingFinds(email)).toEqual([id]);

    // A marketer sees it in the console's list now.
    {
      const { context, page } = await newPage(stack);
      try {
        await signIn(stack, page, 'Marketer', 'marketer-e2e');
        await page.getByRole('link', { name: /show/i }).first().waitFor();
        await page.goto(
          `${stack.url}#/contacts?filter=${encodeURIComponent(JSON.stringify({ search: email }))}`,
        );
        await page.getByRole('cell', { name: email, exact: true }).waitFor();
        // The filtered list: that one contact (the unfiltered page shown before may hold it too).
        await expect.poll(() => page.getByRole('link', { name: /show/i }).count()).toBe(1);
        expect(await seriousViolations(page)).toEqual([]);
        await screenshot(page, 'consent-01-marketer-before');
      } finally {
        await context.close();
      }
    }

    const { context, page } = await newPage(stack);
    try {
      await signIn(stack, page, 'Privacy officer', OFFICER);
      await page.getByRole('link', { name: /show/i }).first().waitFor();
      // The officer finds the contact as staff do: typing its email into the list's search box.
      const search = page.getByPlaceholder('Search', { exact: true });
      await search.click();
      await page.keyboard.type(email);
      await expect.poll(() => page.getByRole('link', { name: /show/i }).count()).toBe(1);
      await page.getByRole('cell', { name: email, exact: true }).waitFor();
      expect(new URL(page.url()).hash).toContain(encodeURIComponent(JSON.stringify({ search: email })));
      await page.getByRole('link', { name: `Show contact ${id.slice(0, 8)}` }).click();
      await page.waitForURL((url) => url.hash === `#/contacts/${encodeURIComponent(id)}/show`);
      await page.getByRole('tab', { name: 'Consent' }).click();
      const current = page.locator('h2:has-text("Current consents") + *');
      const marketingRow = current.getByRole('row').filter({ hasText: 'Marketing' });
      await marketingRow.getByText('Granted').waitFor();
      // The ledger shows the grant with its receipt.
      await page
        .getByRole('button', { name: /receipt of event/i })
        .first()
        .waitFor();
      expect(await seriousViolations(page)).toEqual([]);
      await screenshot(page, 'consent-02-consent-tab');

      await marketingRow.getByRole('button', { name: 'Withdraw consent for Marketing' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByText(/cannot be undone/).waitFor();
      await dialog
        .getByRole('textbox', { name: 'Evidence source' })
        .fill('email of the person, ticket E2E-2');
      expect(await seriousViolations(page)).toEqual([]);
      await screenshot(page, 'consent-03-withdraw-confirmation');
      await dialog.getByRole('button', { name: 'Withdraw', exact: true }).click();

      await marketingRow.getByText('Withdrawn').waitFor();
      await page.getByText('Consent for Marketing withdrawn').waitFor();
      expect(await marketingRow.getByRole('button', { name: /withdraw/i }).count()).toBe(0);
      expect(await currentMarketing(id)).toBe('WITHDRAWN');
      // The ledger has both events now; the withdrawal was recorded by the officer signed in.
      const history = await officerGql<{
        consentHistory: {
          totalCount: number;
          edges: { node: { id: string; seq: number; status: string; recordedBy: string } }[];
        };
      }>(
        'query($id: ID!) { consentHistory(contactId: $id, first: 50) { totalCount edges { node { id seq status recordedBy } } } }',
        { id },
      );
      const last = history.consentHistory.edges.at(-1)?.node;
      expect(last).toMatchObject({ status: 'WITHDRAWN', recordedBy: OFFICER });
      const receiptButtons = page.getByRole('button', { name: /receipt of event/i });
      await expect.poll(() => receiptButtons.count()).toBe(history.consentHistory.totalCount);
      expect(await seriousViolations(page)).toEqual([]);
      await screenshot(page, 'consent-04-withdrawn');

      // The withdrawal's receipt: recorded by staff, with their evidence.
      await page.getByRole('button', { name: `Receipt of event ${last!.seq}` }).click();
      const receipt = page.getByRole('dialog', { name: /consent receipt/i });
      await receipt.getByText('Recorded by staff with their evidence').waitFor();
      await receipt.getByText(last!.id, { exact: true }).waitFor();
      expect(await seriousViolations(page)).toEqual([]);
      await screenshot(page, 'consent-05-receipt');
    } finally {
      await context.close();
    }

    // The API's answer for marketing now leaves the contact out …
    expect(await marketingFinds(email)).toEqual([]);
    // … and so does the console, in a fresh browser signed in as a marketer.
    const marketer = await newPage(stack);
    try {
      const { page: market } = marketer;
      await signIn(stack, market, 'Marketer', 'marketer-e2e');
      await market.getByRole('link', { name: /show/i }).first().waitFor();
      await market.goto(
        `${stack.url}#/contacts?filter=${encodeURIComponent(JSON.stringify({ search: email }))}`,
      );
      await market.getByText(NONE_FOUND).waitFor();
      expect(await market.getByRole('cell', { name: email, exact: true }).count()).toBe(0);
      expect(await seriousViolations(market)).toEqual([]);
      await screenshot(market, 'consent-06-marketer-after');
      // Its page, asked for directly, is not there either: the API answers no contact for marketing, and the
      // console says the element does not exist and goes back to the list.
      const direct = await stack.custos.gql<{ contact: unknown }>(
        'query($id: ID!) { contact(id: $id) { id } }',
        {
          token: await stack.custos.token(['marketer']),
          purpose: 'marketing',
          variables: { id },
        },
      );
      expect(direct.body.data?.contact ?? null).toBeNull();
      await market.goto(`${stack.url}#/contacts/${encodeURIComponent(id)}/show`);
      await market.getByText('Element does not exist').waitFor();
      await expect.poll(() => new URL(market.url()).hash).toMatch(/^#\/contacts(\?|$)/);
      // The list it went back to keeps the search typed (the email, in the filter input), and finds nothing.
      await market.getByText(NONE_FOUND).waitFor();
      expect(await market.getByRole('cell', { name: email, exact: true }).count()).toBe(0);
      expect(await seriousViolations(market)).toEqual([]);
      await screenshot(market, 'consent-07-marketer-contact-not-found');
    } finally {
      await marketer.context.close();
    }
  }, 180_000);

  it('as privacy officer, records a grant through the form and an objection to sales, both in the ledger and the API', async () => {
    const [contact] = await stack.custos.sql<{ id: string; email: string }>(
      `select id, email from contact
        where erased_at is null and not restricted and email is not null
          and id not in (select contact_id from consent_state)
        order by created_at asc limit 1`,
    );
    expect(contact).toBeDefined();
    const { id, email } = contact!;
    const salesFinds = async () => {
      const res = await stack.custos.gql<{ contacts: { edges: { node: { id: string } }[] } }>(
        'query($search: String) { contacts(first: 50, filter: { search: $search }) { edges { node { id } } } }',
        { token: await stack.custos.token(['sales_rep']), purpose: 'sales', variables: { search: email } },
      );
      expect(res.body.errors).toBeUndefined();
      return res.body.data!.contacts.edges.map((edge) => edge.node.id);
    };
    expect(await salesFinds()).toEqual([id]);
    const notices = await officerGql<{ privacyNotices: { edges: { node: { version: string } }[] } }>(
      '{ privacyNotices(first: 1) { edges { node { version } } } }',
    );
    const version = notices.privacyNotices.edges[0]!.node.version;

    const { context, page } = await newPage(stack);
    try {
      await signIn(stack, page, 'Privacy officer', OFFICER);
      await page.getByRole('link', { name: /show/i }).first().waitFor();
      await page.goto(`${stack.url}#/contacts/${encodeURIComponent(id)}/show/consent`);
      await page.getByText('No consent or objection has been recorded for this contact.').waitFor();

      await page.getByRole('button', { name: 'Record consent' }).click();
      const form = page.getByRole('dialog', { name: 'Record a consent answer' });
      await choose(page, form.getByRole('combobox', { name: 'Purpose' }), 'Sale or sharing');
      // A grant without its notice and source is not sent.
      await form.getByRole('button', { name: 'Record consent' }).click();
      expect(await form.getByText('Required to record a grant').count()).toBe(2);
      await choose(page, form.getByRole('combobox', { name: 'Notice version' }), version);
      await form.getByRole('textbox', { name: 'Evidence source' }).fill('signed form E2E-3');
      expect(await seriousViolations(page)).toEqual([]);
      await screenshot(page, 'consent-08-record-form');
      await form.getByRole('button', { name: 'Record consent' }).click();
      // A ledger event cannot be undone: a confirmation says what goes in, and nothing is sent before it.
      const confirmation = page.getByRole('dialog', { name: 'Record “Granted” for Sale or sharing?' });
      await confirmation.getByText(/cannot be undone/).waitFor();
      await confirmation.getByText(/Notice version: .*Evidence: signed form E2E-3/).waitFor();
      expect(
        (
          await officerGql<{ currentConsents: unknown[] }>(
            'query($id: ID!) { currentConsents(contactId: $id) { purpose } }',
            { id },
          )
        ).currentConsents,
      ).toEqual([]);
      expect(await seriousViolations(page)).toEqual([]);
      await screenshot(page, 'consent-08b-record-confirmation');
      await confirmation.getByRole('button', { name: 'Record', exact: true }).click();
      await page.getByText('Consent answer recorded').waitFor();
      const current = page.locator('h2:has-text("Current consents") + *');
      await current.getByRole('row').filter({ hasText: 'Sale or sharing' }).getByText('Granted').waitFor();

      await page.getByRole('button', { name: 'Object to processing' }).click();
      const objection = page.getByRole('dialog', { name: /objection/i });
      await objection.getByText(/cannot be undone/).waitFor();
      await choose(page, objection.getByRole('combobox', { name: 'Purpose objected to' }), 'Sales');
      await objection.getByRole('textbox', { name: 'Evidence source' }).fill('letter E2E-4');
      expect(await seriousViolations(page)).toEqual([]);
      await screenshot(page, 'consent-09-objection');
      await objection.getByRole('button', { name: 'Object', exact: true }).click();
      await page.getByText('Objection to Sales recorded').waitFor();
      await current.getByRole('row').filter({ hasText: 'Sales' }).getByText('Objected').waitFor();
      expect(await seriousViolations(page)).toEqual([]);
      await screenshot(page, 'consent-10-objected');
    } finally {
      await context.close();
    }

    const states = await officerGql<{ currentConsents: { purpose: string; status: string }[] }>(
      'query($id: ID!) { currentConsents(contactId: $id) { purpose status } }',
      { id },
    );
    expect(Object.fromEntries(states.currentConsents.map((s) => [s.purpose, s.status]))).toEqual({
      sale_share: 'GRANTED',
      sales: 'OBJECTED',
    });
    const history = await officerGql<{
      consentHistory: { edges: { node: { status: string; noticeVersion: string | null; method: string } }[] };
    }>(
      'query($id: ID!) { consentHistory(contactId: $id, first: 10) { edges { node { status noticeVersion method } } } }',
      {
        id,
      },
    );
    expect(history.consentHistory.edges.map((edge) => edge.node)).toEqual([
      { status: 'GRANTED', noticeVersion: version, method: 'PHONE' },
      { status: 'OBJECTED', noticeVersion: null, method: 'ADMIN' },
    ]);
    // Sales excludes a contact who objected (Art 21): the API no longer gives it to sales.
    expect(await salesFinds()).toEqual([]);
  }, 180_000);
});
