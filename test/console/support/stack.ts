import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import AxeBuilder from '@axe-core/playwright';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { type PreviewServer, preview } from 'vite';
import { afterAll, beforeAll, expect } from 'vitest';
import type { Gateway } from '../../../apps/gateway/src/gateway.js';
import { startTestServer, type TestServer } from '../../../apps/subgraph/test/support/harness.js';
import type { RunningTickets } from '../../../apps/tickets/src/bootstrap.js';
import { startPublicGateway, startTicketsFor } from '../../federation/support/federation.js';

/**
 * The console end to end: the Custos subgraph on PostgreSQL, the gateway in front of it, the console's production
 * build (`npm test` builds it first) served by `vite preview` with its proxy to that gateway, and Debian's Chromium
 * (CHROME_PATH, else /usr/bin/chromium). A missing browser or build fails the suite: it never skips.
 */
export const ADMIN_ROOT = fileURLToPath(new URL('../../../apps/admin/', import.meta.url));
export const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));
export const CHROME = process.env.CHROME_PATH ?? '/usr/bin/chromium';

export interface ConsoleStack {
  readonly custos: TestServer;
  /** The tickets subgraph behind the gateway, when the stack was asked for it. */
  readonly tickets?: RunningTickets;
  readonly gateway: Gateway;
  readonly url: string;
  readonly browser: Browser;
  close(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface ConsoleStackOptions {
  /** Also start the tickets subgraph (its demo tickets seeded), behind the same gateway. */
  readonly tickets?: boolean;
}

export async function startConsoleStack(
  seedContacts = 40,
  options: ConsoleStackOptions = {},
): Promise<ConsoleStack> {
  if (!existsSync(CHROME)) {
    throw new Error(
      `no Chromium at ${CHROME}: install Debian's chromium or set CHROME_PATH (this suite never skips)`,
    );
  }
  if (!existsSync(path.join(ADMIN_ROOT, 'dist', 'index.html'))) {
    throw new Error('apps/admin/dist is missing: run `npm run build` (npm test does) before this suite');
  }
  await mkdir(ARTIFACTS, { recursive: true });
  const custos = await startTestServer({ seedContacts, env: { PUBLIC_RATE_LIMIT_PER_MINUTE: '100000' } });
  let tickets: RunningTickets | undefined;
  let gateway: Gateway | undefined;
  let server: PreviewServer | undefined;
  let browser: Browser | undefined;
  try {
    tickets = options.tickets ? await startTicketsFor(custos) : undefined;
    gateway = await startPublicGateway(custos, 'http://127.0.0.1', tickets && `${tickets.url}/graphql`);
    const target = gateway.url.replace(/\/graphql$/, '');
    const proxy = Object.fromEntries(
      ['/graphql', '/public/', '/dev/', '/config.json'].map((p) => [p, { target }]),
    );
    server = await preview({
      root: ADMIN_ROOT,
      configFile: false,
      logLevel: 'silent',
      build: { outDir: 'dist' },
      preview: { host: '127.0.0.1', port: await freePort(), strictPort: true, proxy },
    });
    const url = server.resolvedUrls?.local[0];
    if (!url) throw new Error('vite preview has no local URL');
    browser = await chromium.launch({ executablePath: CHROME, args: ['--no-sandbox'] });
    const started = { custos, gateway, server, browser, tickets };
    return {
      custos,
      ...(tickets ? { tickets } : {}),
      gateway,
      url,
      browser,
      async close() {
        await started.browser.close();
        await started.server.close();
        await started.gateway.close();
        await started.tickets?.stop();
        await started.custos.close();
      },
    };
  } catch (error) {
    await browser?.close().catch(() => {});
    await server?.close().catch(() => {});
    await gateway?.close().catch(() => {});
    await tickets?.stop().catch(() => {});
    await custos.close();
    throw error;
  }
}

/** A fresh browser context (no session, no localStorage) at 1280 px with reduced motion (axe and MUI ripples). */
export async function newPage(stack: ConsoleStack): Promise<{ context: BrowserContext; page: Page }> {
  const context = await stack.browser.newContext({
    viewport: { width: 1280, height: 800 },
    reducedMotion: 'reduce',
  });
  const page = await context.newPage();
  return { context, page };
}

/**
 * Signs in on the development page as `role` (its label in the role menu) and subject `sub`, then opens `path`
 * (the contacts list unless told: the console's home is its dashboard).
 */
export async function signIn(
  stack: ConsoleStack,
  page: Page,
  roleLabel: string,
  sub: string,
  path = '/contacts',
): Promise<void> {
  await page.goto(stack.url);
  await page.locator('#custos-subject').waitFor();
  await page.click('#custos-role');
  await page.getByRole('option', { name: roleLabel, exact: true }).click();
  await page.fill('#custos-subject', sub);
  await page.getByRole('button', { name: /sign in/i }).click();
  await page.waitForURL((url) => !url.hash.startsWith('#/login'));
  if (path !== '/') await page.goto(`${stack.url}#${path}`);
}

/** axe-core on the page as it is: the serious and critical violations (ids and how many nodes). */
export async function seriousViolations(page: Page): Promise<string[]> {
  // Checked as the page settles: a dialog fading in (MUI's transitions) has half its contrast on the way.
  // (Finite animations only: a spinner runs forever; a cancelled one has finished too.)
  await page.evaluate(`Promise.all(document.getAnimations()
    .filter((animation) => Number.isFinite(animation.effect?.getComputedTiming().endTime ?? Infinity))
    .map((animation) => animation.finished.catch(() => undefined)))`);
  const result = await new AxeBuilder({ page }).analyze();
  return result.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map(
      (violation) =>
        `${violation.id} (${violation.nodes.length}): ${violation.nodes
          .slice(0, 3)
          .map(
            (node) =>
              `${node.target.join(' ')} — ${node.failureSummary?.split('\n').slice(1, 2).join('') ?? ''}`,
          )
          .join('; ')}`,
    );
}

/**
 * Saves a full-page screenshot as a test artifact, `test/console/artifacts/<name>.png`, and checks that the page
 * fits its viewport's width (1280 px: the console must be usable there, with no sideways scrolling) — every step
 * that is photographed is checked.
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
  const { scrollWidth, viewport } = (await page.evaluate(
    '({ scrollWidth: document.documentElement.scrollWidth, viewport: window.innerWidth })',
  )) as { scrollWidth: number; viewport: number };
  expect(scrollWidth, `${name}: the page is wider than the ${viewport} px window`).toBeLessThanOrEqual(
    viewport,
  );
}

/** Starts the stack before the file's tests and closes it after them; the getter gives it to a test. */
export function useConsoleStack(seedContacts?: number, options?: ConsoleStackOptions): () => ConsoleStack {
  let stack: ConsoleStack | undefined;
  beforeAll(async () => {
    stack = await startConsoleStack(seedContacts, options);
  }, 180_000);
  afterAll(() => stack?.close());
  return () => {
    if (!stack) throw new Error('the console stack has not started');
    return stack;
  };
}

/** Runs `steps` in a fresh browser context (newPage), closed afterwards whatever happens. */
export async function withPage<T>(stack: ConsoleStack, steps: (page: Page) => Promise<T>): Promise<T> {
  const { context, page } = await newPage(stack);
  try {
    return await steps(page);
  } finally {
    await context.close();
  }
}
