import { PURPOSE_DEFINITIONS, purposesForRoles } from '@custos/policy';
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
});
