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
// longer finds that contact — as the API's answer for marketing says, before and after.

let stack: ConsoleStack;

beforeAll(async () => {
  stack = await startConsoleStack();
}, 180_000);
afterAll(() => stack?.close());

const OFFICER = 'officer-consent-e2e';

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

async function currentMarketing(contactId: string) {
  const data = await officerGql<{ currentConsents: { purpose: string; status: string }[] }>(
    'query($id: ID!) { currentConsents(contactId: $id) { purpose status } }',
    { id: contactId },
  );
  return data.currentConsents.find((state) => state.purpose === 'marketing')?.status;
}

describe('withdrawing a marketing consent in the console', () => {
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
        expect(await page.getByRole('link', { name: /show/i }).count()).toBe(1);
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
      await page.goto(`${stack.url}#/contacts/${encodeURIComponent(id)}/show`);
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
      await market.getByText(/No Contacts found/i).waitFor();
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
      expect(await market.content()).not.toContain(email);
      expect(await seriousViolations(market)).toEqual([]);
      await screenshot(market, 'consent-07-marketer-contact-not-found');
    } finally {
      await marketer.context.close();
    }
  }, 180_000);
});
