import { createHash } from 'node:crypto';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newPage, screenshot, seriousViolations, signIn, startConsoleStack } from './support/stack.js';

// Issue 15, end to end in Chromium against the real gateway, subgraph and PostgreSQL: a privacy officer imports a
// consent CSV with one bad row and reads the row-by-row report (nothing recorded), imports a good one and reads its
// count, verifies the ledger, and publishes a privacy notice version that then appears in the list.

let stack: Awaited<ReturnType<typeof startConsoleStack>>;
beforeAll(async () => {
  stack = await startConsoleStack(10);
}, 180_000);
afterAll(() => stack?.close());

async function eventsOf(contactId: string): Promise<number> {
  const [row] = await stack.custos.sql<{ n: number }>(
    'select count(*)::int as n from consent_event where contact_id = $1',
    [contactId],
  );
  return row!.n;
}

async function check(page: Page, name: string) {
  expect(await seriousViolations(page)).toEqual([]);
  await screenshot(page, name);
}

describe('consent tools and privacy notices in Chromium', () => {
  it('as privacy officer, imports a CSV (refused row by row, then accepted), verifies the ledger and publishes a notice', async () => {
    const contacts = await stack.custos.sql<{ id: string }>(
      `select id from contact where erased_at is null and not restricted order by created_at limit 2`,
    );
    expect(contacts).toHaveLength(2);
    const [first, second] = contacts.map((contact) => contact.id) as [string, string];
    const [notice] = await stack.custos.sql<{ version: string }>(
      'select version from privacy_notice order by published_at desc limit 1',
    );
    expect(notice).toBeDefined();
    const version = notice!.version;
    const before = [await eventsOf(first), await eventsOf(second)];

    // Line 1 is the header, line 2 a good row, line 3 names a purpose the policy does not have.
    const header = 'contact_id,purpose,status,notice_version,source';
    const bad = [
      header,
      `${first},marketing,GRANTED,${version},signed form E2E-1`,
      `${second},telepathy,DENIED,,`,
    ].join('\n');
    const good = [
      header,
      `${first},marketing,GRANTED,${version},signed form E2E-1`,
      `${second},marketing,DENIED,,`,
    ].join('\n');

    const { context, page } = await newPage(stack);
    try {
      await signIn(stack, page, 'Privacy officer', 'officer-tools-e2e');
      await page.getByRole('menuitem', { name: 'Consent tools' }).click();
      await page.getByRole('heading', { name: 'Import consents from CSV' }).waitFor();
      await check(page, 'tools-01-page');

      // The bad CSV: confirmed, refused, the report names line 3, column purpose, rule unknown.
      const csv = page.getByRole('textbox', { name: 'CSV' });
      await csv.fill(bad);
      await page.getByRole('button', { name: 'Import', exact: true }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByText('All rows are recorded or none').waitFor();
      await expect.poll(() => dialog.getByRole('heading').textContent()).toBe('Import 2 rows?');
      await check(page, 'tools-02-confirm');
      await dialog.getByRole('button', { name: 'Import' }).click();
      const report = page.getByRole('table', { name: 'Problems of the CSV, row by row' });
      await report.waitFor();
      const rows = report.getByRole('row');
      await expect.poll(() => rows.count()).toBe(2); // the header row and the one problem
      const cells = await rows.nth(1).getByRole('cell').allTextContents();
      expect(cells).toEqual(['3', 'purpose', 'unknown', 'is not a purpose of the policy']);
      expect(await page.getByText('Nothing was imported: 1 problem, below.').count()).toBe(1);
      // All or none: the good line 2 was not recorded either.
      expect([await eventsOf(first), await eventsOf(second)]).toEqual(before);
      await page.getByRole('dialog').waitFor({ state: 'detached' });
      await check(page, 'tools-03-report');

      // The good CSV: 2 events imported, one more in each contact's ledger.
      await csv.fill(good);
      await page.getByRole('button', { name: 'Import', exact: true }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Import' }).click();
      await page.getByRole('status').filter({ hasText: '2 consent events imported' }).waitFor();
      expect(await report.count()).toBe(0);
      expect([await eventsOf(first), await eventsOf(second)]).toEqual([before[0]! + 1, before[1]! + 1]);
      await page.getByRole('dialog').waitFor({ state: 'detached' });
      await check(page, 'tools-04-imported');

      // The ledger of the first contact: valid, its events counted, nothing broken.
      await page.getByRole('textbox', { name: 'Contact id (optional)' }).fill(first);
      await page.getByRole('button', { name: 'Verify the ledger' }).click();
      await page.getByText('The ledger is valid').waitFor();
      const result = page.getByRole('status').filter({ hasText: 'Events checked' });
      const values = await result.locator('dd').allTextContents();
      expect(values).toEqual([String(before[0]! + 1), 'none', '0']);
      expect(await page.getByText('The ledger is broken').count()).toBe(0);
      await check(page, 'tools-05-verified');

      // A new notice version: confirmed (never edited), published, shown with its hash, then listed.
      const newVersion = 'e2e-tools-1';
      const text = 'We process your data for the purposes listed here.\nSecond paragraph.';
      const expectedHash = createHash('sha256').update(text, 'utf8').digest('hex');
      await page.getByRole('menuitem', { name: 'Privacy notices' }).click();
      await page.getByRole('link', { name: 'Publish a new version' }).click();
      await page.getByRole('textbox', { name: 'Version' }).fill(newVersion);
      await page.getByRole('textbox', { name: 'Text' }).fill(text);
      await check(page, 'tools-06-publish-form');
      await page.getByRole('button', { name: 'Publish a new version' }).click();
      const confirm = page.getByRole('dialog');
      await confirm.getByText('can never be edited or removed').waitFor();
      await check(page, 'tools-07-publish-confirm');
      await confirm.getByRole('button', { name: 'Publish a new version' }).click();
      await page.getByText(expectedHash).waitFor();
      await page.getByText(`Version ${newVersion} published`).waitFor();
      expect(page.url()).toContain(`#/privacyNotices/${newVersion}/show`);
      await check(page, 'tools-08-notice');

      await page.getByRole('menuitem', { name: 'Privacy notices' }).click();
      const link = page.getByRole('link', { name: `Show notice ${newVersion}` });
      await link.waitFor();
      const row = page.getByRole('row').filter({ has: link });
      expect(await row.getByText(expectedHash).count()).toBe(1);
      const [stored] = await stack.custos.sql<{ n: number }>(
        'select count(*)::int as n from privacy_notice where version = $1',
        [newVersion],
      );
      expect(stored?.n).toBe(1);
      await check(page, 'tools-09-notices');
    } finally {
      await context.close();
    }
  }, 180_000);
});
