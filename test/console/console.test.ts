import { PURPOSE_DEFINITIONS, purposesForRoles } from '@custos/policy';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ConsoleStack,
  newPage,
  screenshot,
  seriousViolations,
  signIn,
  startConsoleStack,
} from './support/stack.js';

// The console in a real Chromium against the real gateway, subgraph and PostgreSQL (issue 15): development
// sign-in, the contacts a purpose may see, redaction shown with its reason, the purpose selector, accessibility.

let stack: ConsoleStack;

beforeAll(async () => {
  stack = await startConsoleStack();
}, 180_000);
afterAll(() => stack?.close());

/** Contacts as the API gives them to `purpose`, newest first (what the list must show), as a support agent would. */
async function contactsFor(purpose: string, roles: string[]) {
  const res = await stack.custos.gql<{
    contacts: {
      totalCount: number;
      edges: { node: { id: string; fullName: string | null; email: string | null } }[];
    };
  }>('{ contacts(first: 10) { totalCount edges { node { id fullName email } } } }', {
    token: await stack.custos.token(roles),
    purpose,
  });
  expect(res.body.errors).toBeUndefined();
  return res.body.data!.contacts;
}

describe('the console in Chromium', () => {
  it('signs a support agent in and lists the contacts customer_support sees, each with a link to its page', async () => {
    const { context, page } = await newPage(stack);
    try {
      const requests: { purpose: string | undefined; authorized: boolean }[] = [];
      page.on('request', (request) => {
        if (request.url().endsWith('/graphql')) {
          requests.push({
            purpose: request.headers()['x-purpose'],
            authorized: (request.headers().authorization ?? '').startsWith('Bearer '),
          });
        }
      });
      await page.goto(stack.url);
      await page.locator('#custos-subject').waitFor();
      expect(await seriousViolations(page)).toEqual([]);
      await screenshot(page, '01-sign-in');
      await signIn(stack, page, 'Support agent', 'agent-e2e');
      const expected = await contactsFor('customer_support', ['support_agent']);
      expect(expected.edges.length).toBeGreaterThan(0);
      const first = expected.edges[0]!.node;
      await page.getByRole('cell', { name: first.email!, exact: true }).waitFor();
      // Every row has an explicit link to the contact's page.
      const links = page.getByRole('link', { name: /show/i });
      expect(await links.count()).toBeGreaterThanOrEqual(expected.edges.length);
      expect(await links.first().getAttribute('href')).toBe(
        `#/contacts/${encodeURIComponent(first.id)}/show`,
      );
      // Each link has a name of its own (WCAG 2.4.4), which starts with what it shows on screen.
      const names = await links.evaluateAll((nodes) => nodes.map((node) => node.getAttribute('aria-label')));
      expect(new Set(names).size).toBe(names.length);
      expect(names[0]).toBe(`Show contact ${first.id.slice(0, 8)}`);
      expect(requests.length).toBeGreaterThan(0);
      for (const request of requests)
        expect(request).toEqual({ purpose: 'customer_support', authorized: true });
      expect(await seriousViolations(page)).toEqual([]);
      await screenshot(page, '02-contacts-list');
    } finally {
      await context.close();
    }
  });

  it('shows a restricted contact’s personal fields as redacted with the reason, never as empty', async () => {
    const [restricted] = await stack.custos.sql<{ id: string; email: string }>(
      `update contact set restricted = true
        where id = (select id from contact where erased_at is null and not restricted order by created_at desc limit 1)
        returning id, email`,
    );
    const { context, page } = await newPage(stack);
    try {
      await signIn(stack, page, 'Support agent', 'agent-e2e');
      await page.getByRole('link', { name: /show/i }).first().waitFor();
      await page.goto(`${stack.url}#/contacts/${restricted!.id}/show`);
      const chips = page.locator('[data-redaction-reason]');
      await chips.first().waitFor();
      const reasons = new Set(
        await chips.evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-redaction-reason'))),
      );
      expect([...reasons]).toEqual(['PROCESSING_RESTRICTED']);
      // The reason is readable, not only in a tooltip: the chip names it for assistive technology.
      await expect.poll(() => page.getByText(/restricted \(GDPR Art 18\)/).count()).toBeGreaterThan(0);
      // The redacted values are not on the page.
      expect(await page.content()).not.toContain(restricted!.email);
      expect(await seriousViolations(page)).toEqual([]);
      await screenshot(page, '03-restricted-contact');
    } finally {
      await context.close();
    }
  });

  it('offers the purposes the signed-in roles hold, and a change reloads what is on screen under the new purpose', async () => {
    const { context, page } = await newPage(stack);
    try {
      const purposes: (string | undefined)[] = [];
      page.on('request', (request) => {
        if (request.url().endsWith('/graphql')) purposes.push(request.headers()['x-purpose']);
      });
      await signIn(stack, page, 'Privacy officer', 'officer-e2e');
      await page.getByRole('link', { name: /show/i }).first().waitFor();
      const held = purposesForRoles(['privacy_officer']);
      expect(held.length).toBeGreaterThan(1);
      await page.getByLabel('Purpose').click();
      const offered = await page.getByRole('option').allTextContents();
      expect(offered).toHaveLength(held.length);
      const other = held.find((purpose) => purpose !== purposes.at(-1))!;
      expect(PURPOSE_DEFINITIONS[other]).toBeDefined();
      const before = purposes.length;
      await page.getByRole('option').nth(held.indexOf(other)).click();
      await expect.poll(() => purposes.slice(before)).toContain(other);
      await page.getByRole('link', { name: /show/i }).first().waitFor();
      expect(await seriousViolations(page)).toEqual([]);
      await screenshot(page, '04-purpose-changed');
    } finally {
      await context.close();
    }
  });

  it('is usable with the keyboard alone: a row’s link, the contact’s tabs, an action’s dialog and Escape', async () => {
    const { context, page } = await newPage(stack);
    try {
      await signIn(stack, page, 'Support agent', 'agent-keyboard-e2e');
      const first = (await contactsFor('customer_support', ['support_agent'])).edges[0]!.node;
      await page.getByRole('link', { name: `Show contact ${first.id.slice(0, 8)}` }).waitFor();
      // From the top of the page, Tab alone reaches the first row's link, named for the contact it opens.
      await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
      expect(
        await tabTo(
          page,
          (element) => element.getAttribute('aria-label')?.startsWith('Show contact') === true,
        ),
      ).toBe(`Show contact ${first.id.slice(0, 8)}`);
      await page.keyboard.press('Enter');
      await page.waitForURL((url) => url.hash === `#/contacts/${encodeURIComponent(first.id)}/show`);
      // The tabs: Tab to the selected one, an arrow key to the Consent tab, Enter to open it.
      expect(
        await tabTo(
          page,
          (element) => element.getAttribute('role') === 'tab' && element.textContent === 'Details',
        ),
      ).toBe('Details');
      await page.keyboard.press('ArrowRight');
      expect(await focused(page)).toBe('Consent');
      await page.keyboard.press('Enter');
      await page.waitForURL((url) => url.hash.endsWith('/show/consent'));
      // An action's dialog: opened with Enter, closed with Escape, focus back on its button, nothing recorded.
      const events = () =>
        stack.custos.sql<{ n: number }>(
          'select count(*)::int as n from consent_event where contact_id = $1',
          [first.id],
        );
      const before = await events();
      const dialog = page.getByRole('dialog', { name: 'Record a consent answer' });
      expect(await dialog.count()).toBe(0);
      expect(
        await tabTo(
          page,
          (element) => element.tagName === 'BUTTON' && element.textContent === 'Record consent',
        ),
      ).toBe('Record consent');
      await page.keyboard.press('Enter');
      await dialog.waitFor();
      expect(await page.evaluate(() => document.activeElement?.closest('[role="dialog"]') !== null)).toBe(
        true,
      );
      expect(await seriousViolations(page)).toEqual([]);
      await screenshot(page, '05-keyboard-dialog');
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'detached' });
      expect(await focused(page)).toBe('Record consent');
      expect(await events()).toEqual(before);
    } finally {
      await context.close();
    }
  });

  it('opens a contact’s edit page with the fields customer support may write, and no other', async () => {
    const [contact] = await stack.custos.sql<{ id: string; full_name: string }>(
      `select id, full_name from contact where erased_at is null and not restricted and full_name is not null
        order by created_at desc limit 1`,
    );
    expect(contact).toBeDefined();
    const { context, page } = await newPage(stack);
    try {
      await signIn(stack, page, 'Support agent', 'agent-edit-e2e');
      await page.getByRole('link', { name: /show/i }).first().waitFor();
      await page.goto(`${stack.url}#/contacts/${encodeURIComponent(contact!.id)}`);
      const name = page.getByRole('textbox', { name: 'Full name' });
      await name.waitFor();
      expect(await name.inputValue()).toBe(contact!.full_name);
      expect(await page.getByRole('textbox', { name: 'Phone' }).count()).toBe(1);
      await page.getByText('E.164, e.g. +14155550100').waitFor();
      // What the policy never lets customer support see is not in the form at all.
      expect(await page.getByRole('textbox', { name: 'Health notes' }).count()).toBe(0);
      expect(await page.getByRole('textbox', { name: 'IP address' }).count()).toBe(0);
      expect(await page.getByRole('button', { name: 'Save' }).count()).toBe(1);
      expect(await page.getByRole('button', { name: /delete/i }).count()).toBe(0);
      expect(await seriousViolations(page)).toEqual([]);
      await screenshot(page, '06-contact-edit');
    } finally {
      await context.close();
    }
  });
});

/** The focused element's accessible label (its aria-label, else its text). */
function focused(page: Page): Promise<string | null> {
  return page.evaluate(() => {
    const element = document.activeElement;
    return element && element !== document.body
      ? (element.getAttribute('aria-label') ?? element.textContent?.trim() ?? '')
      : null;
  });
}

/**
 * Presses Tab until the focused element satisfies `wanted` (run in the page), at most `limit` times; answers that
 * element's label (aria-label, else text), or fails naming where the focus went.
 */
async function tabTo(page: Page, wanted: (element: Element) => boolean, limit = 80): Promise<string | null> {
  const visited: (string | null)[] = [];
  for (let presses = 0; presses < limit; presses += 1) {
    await page.keyboard.press('Tab');
    const source = `(${wanted.toString()})(document.activeElement ?? document.body)`;
    if (await page.evaluate(source)) return focused(page);
    visited.push(await focused(page));
  }
  throw new Error(`Tab never reached the element asked for; focus went to: ${visited.join(' → ')}`);
}
