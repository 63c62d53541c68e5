import {
  type ConsentStatus,
  type ContactState,
  decideField,
  mayRunOperation,
  maySeeRow,
  type Purpose,
  purposesForRoles,
  ROLE_PURPOSES,
  type Role,
} from '@custos/policy';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { en } from '../../apps/admin/src/i18n/en.js';
import { screenshot, seriousViolations, signIn, useConsoleStack, withPage } from './support/stack.js';

// Issue 15, end to end in Chromium against the real gateway, the Custos and tickets subgraphs and PostgreSQL: a
// contact's interactions (Custos) and tickets (the tickets subgraph, joined by the gateway) on its page; the same
// relations redacted with their reason for a purpose whose policy forbids following them; an audit event's page
// opened by its address and reloaded. Expected rows come from the database, expected decisions from the policy.

const stack = useConsoleStack(40, { tickets: true });

/** The relations the two tabs read through `contact(id)`. */
const RELATIONS = { interactions: 'Contact.interactions', tickets: 'Contact.ticketConnection' } as const;
const AGENT = 'agent-tabs-e2e';
const OFFICER = 'officer-tabs-e2e';

interface Chosen {
  readonly id: string;
  readonly state: ContactState;
}

/**
 * A live contact, processing not restricted, with interactions and tickets (the most tickets), and its privacy
 * state as the policy reads it.
 */
async function contactWithRelations(): Promise<Chosen> {
  const [row] = await stack().custos.sql<{
    id: string;
    restricted: boolean;
    limit_sensitive: boolean;
    consents: Record<string, ConsentStatus> | null;
  }>(
    `select c.id, c.restricted, c.limit_sensitive,
       (select jsonb_object_agg(cs.purpose, cs.status) from consent_state cs where cs.contact_id = c.id) consents
     from contact c
     where c.erased_at is null and not c.restricted
       and exists (select 1 from interaction i where i.contact_id = c.id)
       and exists (select 1 from tickets.ticket t where t.requester_id = c.id)
     order by (select count(*) from tickets.ticket t where t.requester_id = c.id) desc, c.id
     limit 1`,
  );
  expect(row, 'a seeded contact with interactions and tickets').toBeDefined();
  return {
    id: row!.id,
    state: {
      erased: false,
      restricted: row!.restricted,
      limitSensitive: row!.limit_sensitive,
      consents: (row!.consents ?? {}) as ContactState['consents'],
    },
  };
}

/** The roles the console signs in with, each with the purpose it declares first (the console's default). */
const SIGN_INS = (Object.keys(ROLE_PURPOSES) as Role[]).flatMap((role) => {
  const [purpose] = purposesForRoles([role]);
  return purpose ? [{ role, purpose }] : [];
});

/** May `purpose` open the contact, and does the policy let it follow both relations there? */
function access(purpose: Purpose, state: ContactState) {
  const opens = mayRunOperation(purpose, 'Query.contact') && maySeeRow(purpose, state);
  const decisions = Object.values(RELATIONS).map((field) => decideField(purpose, field, state));
  return { opens, decisions };
}

/** The page's content (the open tab's, on a show page), beside the menu and the app bar. */
const content = (page: Page) => page.locator('#main-content');

/** The rows of the table under the open tab, each row's cells' text. */
async function tableRows(page: Page): Promise<string[][]> {
  const rows = content(page).locator('table tbody tr');
  return rows.evaluateAll((trs) =>
    trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => (td.textContent ?? '').trim())),
  );
}

async function openTab(page: Page, contactId: string, tab: 'interactions' | 'tickets') {
  await page.goto(`${stack().url}#/contacts/${encodeURIComponent(contactId)}/show/${tab}`);
  await page.getByRole('tab', { name: en.custos[tab].tab, selected: true }).waitFor();
}

describe('a contact’s interactions and tickets in Chromium', () => {
  it('a support agent sees the contact’s interactions and its tickets through the gateway, newest first', async () => {
    const contact = await contactWithRelations();
    const role: Role = 'support_agent';
    const [purpose] = purposesForRoles([role]);
    const allowed = access(purpose!, contact.state);
    expect(allowed.opens).toBe(true);
    expect(allowed.decisions.every((decision) => decision.allowed)).toBe(true);

    const interactions = await stack().custos.sql<{ subject: string; type: string; logged_by: string }>(
      `select subject, type, logged_by from interaction where contact_id = $1
       order by occurred_at desc, id desc limit 10`,
      [contact.id],
    );
    const tickets = await stack().custos.sql<{ subject: string; status: string; priority: string }>(
      `select subject, status, priority from tickets.ticket where requester_id = $1
       order by created_at desc, id desc limit 10`,
      [contact.id],
    );
    expect(interactions.length).toBeGreaterThan(0);
    expect(tickets.length).toBeGreaterThan(0);

    await withPage(stack(), async (page) => {
      await signIn(stack(), page, en.custos.roles[role], AGENT);
      await openTab(page, contact.id, 'interactions');
      await page.getByRole('cell', { name: interactions[0]!.subject, exact: true }).first().waitFor();
      // Occurred, type, subject, logged by: every interaction, in the API's order, none redacted.
      const shownInteractions = await tableRows(page);
      expect(shownInteractions.map((cells) => cells.slice(1))).toEqual(
        interactions.map((i) => [
          en.custos.interactions.types[i.type as keyof typeof en.custos.interactions.types],
          i.subject,
          i.logged_by,
        ]),
      );
      expect(await page.locator('[data-redaction-reason]').count()).toBe(0);
      expect(await seriousViolations(page)).toEqual([]);
      await screenshot(page, 'tabs-01-interactions');

      await openTab(page, contact.id, 'tickets');
      await page.getByRole('cell', { name: tickets[0]!.subject, exact: true }).first().waitFor();
      const shownTickets = await tableRows(page);
      expect(shownTickets.map((cells) => cells.slice(1, 4))).toEqual(
        tickets.map((t) => [
          t.subject,
          en.custos.tickets.statuses[t.status as keyof typeof en.custos.tickets.statuses],
          en.custos.tickets.priorities[t.priority as keyof typeof en.custos.tickets.priorities],
        ]),
      );
      expect(await page.getByText(en.custos.tickets.empty).count()).toBe(0);
      expect(await seriousViolations(page)).toEqual([]);
      await screenshot(page, 'tabs-02-tickets');
    });
  });

  it('a purpose whose policy forbids following the relations sees them redacted with the reason, not as none', async () => {
    const contact = await contactWithRelations();
    // From the policy: a role whose declared purpose opens this contact but may follow neither relation.
    const forbidden = SIGN_INS.find(({ purpose }) => {
      const { opens, decisions } = access(purpose, contact.state);
      return opens && decisions.every((decision) => !decision.allowed);
    });
    expect(forbidden, 'a purpose that opens the contact and may not follow its relations').toBeDefined();
    const { role, purpose } = forbidden!;
    const reasons = access(purpose, contact.state).decisions.map((decision) =>
      decision.allowed ? null : decision.reason,
    );

    await withPage(stack(), async (page) => {
      await signIn(stack(), page, en.custos.roles[role], `tabs-e2e-${role}`);
      for (const [index, tab] of (['interactions', 'tickets'] as const).entries()) {
        await openTab(page, contact.id, tab);
        const status = content(page).getByRole('status').filter({ hasText: en.custos[tab].redacted });
        await status.waitFor();
        const chip = status.locator('[data-redaction-reason]');
        expect(await chip.getAttribute('data-redaction-reason')).toBe(reasons[index]);
        // The reason is on the chip for assistive technology, and in its tooltip on hover.
        const reason = en.custos.reasons[reasons[index] as keyof typeof en.custos.reasons];
        expect(await chip.textContent()).toContain(reason);
        await chip.hover();
        await page.getByRole('tooltip', { name: reason }).waitFor();
        expect(await page.getByText(en.custos[tab].empty).count()).toBe(0);
        expect(await content(page).locator('table').count()).toBe(0);
        expect(await seriousViolations(page)).toEqual([]);
        await screenshot(page, `tabs-0${3 + index}-${tab}-redacted`);
      }
    });
  });

  it('the audit event page opened by its address, and reloaded, shows the event', async () => {
    // An event to open: one of the support agent's readings of the contact above, as the API lists it.
    const contact = await contactWithRelations();
    await stack().custos.flushAudit();
    const officer = await stack().custos.token(['privacy_officer'], OFFICER);
    const listed = await stack().custos.gql<{
      auditEvents: {
        nodes: {
          id: string;
          actor: string;
          requestId: string;
          operationName: string | null;
          accesses: { contactIds: string[] }[];
        }[];
      };
    }>(
      `query($actor: String) { auditEvents(actor: $actor, first: 50) {
         nodes { id actor requestId operationName accesses { contactIds } } } }`,
      { token: officer, purpose: 'compliance', variables: { actor: AGENT } },
    );
    expect(listed.body.errors).toBeUndefined();
    const event = listed.body.data!.auditEvents.nodes.find(
      (node) =>
        node.accesses.length > 0 &&
        node.accesses.every((a) => a.contactIds.length === 1 && a.contactIds[0] === contact.id),
    );
    expect(event, 'the agent’s reading of the contact, audited').toBeDefined();

    await withPage(stack(), async (page) => {
      await signIn(stack(), page, en.custos.roles.privacy_officer, OFFICER, '/');
      const address = `${stack().url}#/auditEvents/${encodeURIComponent(event!.id)}/show`;
      await page.goto(address);
      await page.reload();
      expect(page.url()).toBe(address);
      await page.getByText(event!.requestId, { exact: true }).waitFor();
      await page.getByText(event!.id, { exact: true }).waitFor();
      await page.getByText(en.custos.audit.accesses).waitFor();
      await page.getByText(contact.id, { exact: true }).first().waitFor();
      expect(await page.getByText(event!.actor, { exact: true }).count()).toBeGreaterThan(0);
      expect(await seriousViolations(page)).toEqual([]);
      await screenshot(page, 'tabs-05-audit-event-reloaded');
    });
  });
});
