import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as consoleStack from './support/stack.js';

const { newPage, screenshot, seriousViolations, signIn } = consoleStack;

// Issue 15, end to end in Chromium against the real gateway, subgraph and PostgreSQL: a privacy officer
// acknowledges an alert (confirmed), verifies the audit chain, and finds in the audit trail the events of an actor
// this test made act — each checked against the API's or the database's own answer.

const OFFICER = 'officer-audit-e2e';
const ACTOR = `agent-audit-e2e-${randomUUID().slice(0, 8)}`;

// A small stack: twenty contacts are enough for an actor to read five.
let stack: consoleStack.ConsoleStack;
beforeAll(async () => {
  stack = await consoleStack.startConsoleStack(20);
}, 180_000);
afterAll(() => stack?.close());

/** The API's own answer, as the privacy officer for compliance: what the console's screens are checked against. */
async function officerGql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const token = await stack.custos.token(['privacy_officer'], OFFICER);
  const { body } = await stack.custos.gql<T>(query, { token, purpose: 'compliance', variables });
  expect(body.errors).toBeUndefined();
  return body.data as T;
}

const actorEvents = async () =>
  (
    await officerGql<{ auditEvents: { totalCount: number } }>(
      'query($actor: String) { auditEvents(actor: $actor, first: 1) { totalCount } }',
      { actor: ACTOR },
    )
  ).auditEvents.totalCount;

describe('the audit screens in Chromium', () => {
  it('as privacy officer: acknowledges an alert, verifies the audit chain, lists an actor’s events', async () => {
    // The actor: a support agent who reads the contacts list twice (the trail records what it revealed).
    const agentToken = await stack.custos.token(['support_agent'], ACTOR);
    const seen = new Set<string>();
    for (const _ of [1, 2]) {
      const res = await stack.custos.gql<{ contacts: { edges: { node: { id: string } }[] } }>(
        '{ contacts(first: 5) { edges { node { id fullName } } } }',
        { token: agentToken, purpose: 'customer_support' },
      );
      expect(res.body.errors).toBeUndefined();
      for (const edge of res.body.data!.contacts.edges) seen.add(edge.node.id);
    }
    expect(seen.size).toBeGreaterThan(0);
    await expect.poll(actorEvents, { timeout: 20_000 }).toBeGreaterThanOrEqual(2);
    const eventCount = await actorEvents();
    expect(eventCount).toBeLessThanOrEqual(25);

    // An open alert about that actor, as a rule would raise it.
    const alertId = randomUUID();
    await stack.custos.sql(
      `insert into audit_alert (id, rule_id, kind, actor_sub, purpose, fired_at, service, details)
       values ($1, 'e2e-bulk-reads', 'DISTINCT_CONTACTS', $2, 'customer_support', now(), 'crm',
               '{"distinctContacts": 10}'::jsonb)`,
      [alertId, ACTOR],
    );

    const { context, page } = await newPage(stack);
    try {
      await signIn(stack, page, 'Privacy officer', OFFICER);
      await page.getByRole('link', { name: /show/i }).first().waitFor();

      // Alerts: the open one, acknowledged after a confirmation.
      await page.goto(`${stack.url}#/auditAlerts`);
      const acknowledge = page.getByRole('button', { name: `Acknowledge alert ${alertId.slice(0, 8)}` });
      await acknowledge.waitFor();
      expect(await seriousViolations(page)).toEqual([]);
      await screenshot(page, 'audit-01-alerts');
      await acknowledge.click();
      const dialog = page.getByRole('dialog', { name: 'Acknowledge this alert?' });
      await dialog.getByText(/cannot be undone/).waitFor();
      expect(await seriousViolations(page)).toEqual([]);
      await screenshot(page, 'audit-02-acknowledge-confirmation');
      await dialog.getByRole('button', { name: 'Acknowledge', exact: true }).click();
      await page.getByText('Alert acknowledged').waitFor();
      // Acknowledged, it leaves the open alerts; under the Acknowledged state it is listed as such.
      await acknowledge.waitFor({ state: 'detached' });
      const [stored] = await stack.custos.sql<{ status: string; acknowledged_by: string }>(
        'select status, acknowledged_by from audit_alert where id = $1',
        [alertId],
      );
      expect(stored).toEqual({ status: 'ACKNOWLEDGED', acknowledged_by: OFFICER });
      await page.goto(
        `${stack.url}#/auditAlerts?filter=${encodeURIComponent(JSON.stringify({ status: 'ACKNOWLEDGED' }))}`,
      );
      const row = page.getByRole('row').filter({ hasText: 'e2e-bulk-reads' });
      await row.getByRole('cell', { name: 'Acknowledged', exact: true }).waitFor();
      expect(await row.getByRole('button', { name: /acknowledge/i }).count()).toBe(0);
      expect(await seriousViolations(page)).toEqual([]);
      await screenshot(page, 'audit-03-acknowledged');

      // The audit chain: the API's own answer first, then the console's.
      const before = (
        await officerGql<{ verifyAuditLog: { valid: boolean; events: number } }>(
          '{ verifyAuditLog { valid events } }',
        )
      ).verifyAuditLog;
      expect(before.valid).toBe(true);
      await page.getByRole('button', { name: 'Verify the audit chain' }).click();
      await page.getByText('The audit chain is intact').waitFor();
      const shown = Number(await page.locator('[data-check="events"]').textContent());
      expect(shown).toBeGreaterThanOrEqual(before.events);
      expect(await page.getByText('The audit chain is broken').count()).toBe(0);
      expect(await seriousViolations(page)).toEqual([]);
      await screenshot(page, 'audit-04-chain-verified');

      // The audit trail filtered by the actor: its events, and no one else's.
      await page.goto(
        `${stack.url}#/auditEvents?filter=${encodeURIComponent(JSON.stringify({ actor: ACTOR }))}`,
      );
      const links = page.getByRole('link', { name: /^Show event / });
      await expect.poll(() => links.count(), { timeout: 10_000 }).toBe(eventCount);
      expect(await page.getByRole('cell', { name: ACTOR, exact: true }).count()).toBe(eventCount);
      expect(await page.getByRole('cell', { name: OFFICER, exact: true }).count()).toBe(0);
      expect(await seriousViolations(page)).toEqual([]);
      await screenshot(page, 'audit-05-events-by-actor');

      // One event's page: what it revealed.
      await links.first().click();
      await page.getByText('What it revealed').waitFor();
      await page.getByText('Contact.fullName').first().waitFor();
      // The contacts it names are those the agent received.
      for (const id of seen) await page.getByText(id, { exact: true }).waitFor();
      expect(await seriousViolations(page)).toEqual([]);
      await screenshot(page, 'audit-06-event');
    } finally {
      await context.close();
    }
  });
  it('as privacy officer: edits a monitoring rule, the server’s problem shown on the params field', async () => {
    type Rule = {
      id: string;
      kind: string;
      description: string;
      params: string;
      enabled: boolean;
      updatedBy: string;
    };
    const rules = async () =>
      (
        await officerGql<{ auditRules: Rule[] }>(
          '{ auditRules { id kind description params enabled updatedBy } }',
        )
      ).auditRules;
    const rule = (await rules()).find((candidate) => candidate.kind === 'DISTINCT_CONTACTS');
    expect(rule).toBeDefined();
    const params = JSON.parse(rule!.params) as { limit: number };
    const refused = JSON.stringify({ ...params, limit: 0 });
    // What the server says of that value, asked directly (and refused: nothing changes).
    const res = await stack.custos.gql(
      'mutation($input: AuditRuleInput!) { setAuditRule(input: $input) { id } }',
      {
        token: await stack.custos.token(['privacy_officer'], OFFICER),
        purpose: 'compliance',
        variables: {
          input: {
            id: rule!.id,
            kind: rule!.kind,
            description: rule!.description,
            params: refused,
            enabled: rule!.enabled,
          },
        },
      },
    );
    const problems = (res.body.errors?.[0]?.extensions as { problems?: { field: string; message: string }[] })
      ?.problems;
    const problem = problems?.find((candidate) => candidate.field === 'limit');
    expect(problem).toBeDefined();

    const { context, page } = await newPage(stack);
    try {
      await signIn(stack, page, 'Privacy officer', OFFICER);
      await page.getByRole('link', { name: /show/i }).first().waitFor();
      await page.goto(`${stack.url}#/auditRules`);
      await page.getByRole('link', { name: `Edit rule ${rule!.id}` }).click();
      const field = page.getByRole('textbox', { name: 'Parameters' });
      await expect.poll(() => field.inputValue()).toBe(rule!.params);
      await field.fill(refused);
      await page.getByRole('button', { name: 'Save' }).click();
      // On the field itself: its description (helper text) carries the server's problem.
      const description = () =>
        field.evaluate((element) =>
          (element.getAttribute('aria-describedby') ?? '')
            .split(' ')
            .map((id) => document.getElementById(id)?.textContent ?? '')
            .join(' '),
        );
      await expect.poll(description).toContain(`limit: ${problem!.message}`);
      expect(await field.getAttribute('aria-invalid')).toBe('true');
      expect(JSON.parse((await rules()).find((r) => r.id === rule!.id)!.params)).toEqual(params);
      expect(await seriousViolations(page)).toEqual([]);
      await screenshot(page, 'audit-07-rule-refused');

      const accepted = { ...params, limit: params.limit + 1 };
      await field.fill(JSON.stringify(accepted));
      await page.getByRole('button', { name: 'Save' }).click();
      await page.getByRole('link', { name: `Edit rule ${rule!.id}` }).waitFor();
      const saved = (await rules()).find((r) => r.id === rule!.id)!;
      expect(JSON.parse(saved.params)).toEqual(accepted);
      expect(saved.updatedBy).toBe(OFFICER);
      expect(await seriousViolations(page)).toEqual([]);
      await screenshot(page, 'audit-08-rules');
    } finally {
      await context.close();
    }
  });
});
