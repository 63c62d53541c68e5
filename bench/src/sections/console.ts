// The privacy console (issue 15): the production build's size (gzip, per chunk) and how long the contacts list takes
// to show 500 rows in headless Chromium, from navigation until the 500th row is in the page, over the subgraph as
// deployed (production, 100k contacts) behind `vite preview`'s proxy. Each round is a fresh browser context: no
// cached chunk, no session but the one the round sets.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { preview } from 'vite';
import type { Run } from '../context.js';
import { repoRoot } from '../paths.js';
import { printTable } from '../report.js';
import { median } from '../rows.js';
import { custosServer, PRODUCTION, startServer } from '../servers.js';
import { measuredAlone } from './section.js';

const ADMIN = path.join(repoRoot, 'apps', 'admin');
const ROWS = 500;
const CHROME = process.env.CHROME_PATH ?? '/usr/bin/chromium';

interface Chunk {
  readonly file: string;
  readonly bytes: number;
  readonly gzipBytes: number;
}

interface ConsoleResult {
  readonly chunks: readonly (Chunk & { readonly loadedByContactsList: boolean })[];
  readonly jsGzipBytes: number;
  /** The JavaScript the contacts list page loaded (the rest, e.g. the dashboard's charts, loads on demand). */
  readonly contactsListJsGzipBytes: number;
  readonly rows: number;
  readonly rounds: number;
  /** Milliseconds from navigation start until the 500th row is in the page, per round. */
  readonly rowsVisibleMs: readonly number[];
  readonly medianMs: number | null;
  readonly maxMs: number | null;
}

/** The built chunks (JavaScript and CSS), largest first; fonts are loaded only when a page needs them. */
function chunks(): Chunk[] {
  const assets = path.join(ADMIN, 'dist', 'assets');
  if (!existsSync(assets)) throw new Error('apps/admin/dist is missing: build it first (npm run build)');
  return readdirSync(assets)
    .filter((file) => file.endsWith('.js') || file.endsWith('.css'))
    .map((file) => {
      const content = readFileSync(path.join(assets, file));
      return { file, bytes: content.length, gzipBytes: gzipSync(content, { level: 9 }).length };
    })
    .sort((a, b) => b.gzipBytes - a.gzipBytes);
}

async function measureConsole(run: Run): Promise<ConsoleResult> {
  const built = chunks();
  if (!existsSync(CHROME)) throw new Error(`no Chromium at ${CHROME} (set CHROME_PATH)`);
  const server = await startServer(run, 'console-list', run.database.appUrl);
  const target = `http://127.0.0.1:${server.port}`;
  const site = await preview({
    root: ADMIN,
    configFile: false,
    logLevel: 'silent',
    build: { outDir: 'dist' },
    preview: { host: '127.0.0.1', port: 0, proxy: { '/graphql': { target } } },
    // The console reads its runtime configuration from `/config.json` on its own origin (the gateway answers it in
    // a deployment, apps/admin/src/config.ts); here, with the subgraph alone behind the proxy, this server does:
    // development sign-in, whose session each round sets itself.
    plugins: [
      {
        name: 'custos-bench-console-config',
        configurePreviewServer(previewServer) {
          previewServer.middlewares.use('/config.json', (_request, response) => {
            response.setHeader('content-type', 'application/json');
            response.setHeader('cache-control', 'no-store');
            response.end(JSON.stringify({ auth: { mode: 'development' } }));
          });
        },
      },
    ],
  });
  const browser = await chromium.launch({ executablePath: CHROME, args: ['--no-sandbox'] });
  const times: number[] = [];
  const loaded = new Set<string>();
  try {
    const url = site.resolvedUrls?.local[0];
    if (!url) throw new Error('vite preview has no local URL');
    const rounds = Math.max(3, run.settings.rounds);
    // One unmeasured round first: the subgraph's first page warms its caches, as the other sections' warm-up does.
    for (let round = 0; round <= rounds; round++) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      // The session the console would hold after signing in (its sessionStorage keys, apps/admin/src/auth).
      await context.addInitScript((token) => {
        sessionStorage.setItem('custos.session', token);
        sessionStorage.setItem('custos.purpose', 'customer_support');
      }, run.identity.token);
      const page = await context.newPage();
      page.on('request', (request) => {
        const file = /\/assets\/([^/?#]+)$/.exec(new URL(request.url()).pathname)?.[1];
        if (file) loaded.add(file);
      });
      await page.goto(`${url}#/contacts?page=1&perPage=${ROWS}`);
      // In the page (a string: the bench compiles without the DOM's types): the time since navigation start when
      // the list holds its last row.
      // At most a minute: a console that cannot show the list (an error page, a refused request) stops the run
      // with what it shows instead of waiting for ever.
      const ms = (await page.evaluate(`new Promise((resolve, reject) => {
        const check = () => document.querySelectorAll('tbody tr').length >= ${ROWS}
          ? resolve(performance.now())
          : performance.now() > 60000
            ? reject(new Error('the list did not show ${ROWS} rows within 60 s; the page shows: '
                + document.body.innerText.slice(0, 300)))
            : requestAnimationFrame(check);
        check();
      })`)) as number;
      if (round > 0) times.push(Math.round(ms));
      await context.close();
    }
  } finally {
    await browser.close();
    await site.close();
    await server.stop();
  }
  const sortedTimes = [...times].sort((a, b) => a - b);
  const js = built.filter((c) => c.file.endsWith('.js'));
  const gzipSum = (list: readonly Chunk[]) => list.reduce((sum, c) => sum + c.gzipBytes, 0);
  return {
    chunks: built.map((chunk) => ({ ...chunk, loadedByContactsList: loaded.has(chunk.file) })),
    jsGzipBytes: gzipSum(js),
    contactsListJsGzipBytes: gzipSum(js.filter((c) => loaded.has(c.file))),
    rows: ROWS,
    rounds: times.length,
    rowsVisibleMs: times,
    medianMs: median(times),
    maxMs: sortedTimes.at(-1) ?? null,
  };
}

const kb = (bytes: number) => (bytes / 1024).toFixed(1);

function print(result: ConsoleResult): void {
  console.log('\nConsole: production build (apps/admin/dist), gzip level 9 per chunk');
  printTable(
    ['chunk', 'kB', 'gzip kB', 'contacts list loads it'],
    result.chunks.map((chunk) => [
      chunk.file,
      kb(chunk.bytes),
      kb(chunk.gzipBytes),
      chunk.loadedByContactsList ? 'yes' : 'no (on demand)',
    ]),
  );
  console.log(
    `JavaScript, gzip: ${kb(result.jsGzipBytes)} kB in all, ${kb(result.contactsListJsGzipBytes)} kB loaded by the contacts list`,
  );
  console.log(
    `contacts list, ${result.rows} rows in headless Chromium: median ${result.medianMs} ms, max ${result.maxMs} ms ` +
      `from navigation to the last row (${result.rounds} rounds, fresh context each)`,
  );
}

export const consoleSection = measuredAlone({
  name: 'console-list',
  spec: custosServer('custos behind the console', PRODUCTION),
  key: 'console',
  measure: measureConsole,
  print,
});
