// The printed tables and verdicts every section shares, and the JSON report in bench/results/.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Run } from './context.js';
import { benchDir, repoRoot } from './paths.js';
import { pinning } from './processes.js';
import { CUSTOS_QUERY, ENTITIES_QUERY, NO_CURSOR_QUERY, POSTGRAPHILE_QUERY } from './queries.js';
import { median, type PairRatio, type Row } from './rows.js';
import { NODE_FLAGS } from './servers.js';

/** A table: the first `leftColumns` columns left-aligned, the others right-aligned. */
export function printTable(header: readonly string[], table: readonly string[][], leftColumns = 1): void {
  const widths = header.map((title, i) =>
    Math.max(title.length, ...table.map((cells) => cells[i]?.length ?? 0)),
  );
  const line = (cells: readonly string[]) =>
    cells.map((cell, i) => (i < leftColumns ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)));
  console.log(`\n${line(header).join('  ')}`);
  console.log(widths.map((width) => '-'.repeat(width)).join('  '));
  for (const cells of table) console.log(line(cells).join('  '));
}

/** A row's measured cells: req/s, p50 ms, p99 ms, failed. */
export const METRIC_HEADER = ['req/s', 'p50 ms', 'p99 ms', 'failed'];
export const metricCells = (row: Row): string[] => [
  row.requestsPerSecond.toLocaleString('en-US'),
  row.p50Ms?.toFixed(2) ?? '-',
  row.p99Ms?.toFixed(2) ?? '-',
  String(Object.values(row.failures).reduce((a: number, b: number) => a + b, 0)),
];

export const queryTitle = (row: Row): string =>
  row.query === '_entities' ? `_entities (${row.representations} reps)` : `contacts(first: ${row.size})`;

/** A ratio as printed: `0.85x`, or `n/a`. */
export const fmt = (value: number | null): string => (value === null ? 'n/a' : `${value.toFixed(2)}x`);

/** A goal's verdict as printed. */
export const verdict = (met: boolean | null): string =>
  met === null ? 'not measured' : met ? 'MET' : 'NOT MET';

/** One goal of an issue, judged: what it says, the measured value, the bound, and whether it is met. */
export interface Goal {
  readonly goal: string;
  /** The measured value the bound applies to (a ratio); null when not measured. */
  readonly value: number | null;
  readonly atLeast?: number;
  readonly atMost?: number;
  /** What the value counts, when it is not a ratio (printed after it): `statements`. */
  readonly unit?: string;
  /** null: not measured; false also when a measurement behind it had failed requests. */
  readonly met: boolean | null;
}

/** Judges `value` against its bound; a measurement with failed requests (`valid` false) never meets a goal. */
export function judge(options: {
  readonly goal: string;
  readonly value: number | null;
  readonly atLeast?: number;
  readonly atMost?: number;
  readonly valid: boolean;
}): Goal {
  const { goal, value, atLeast, atMost, valid } = options;
  const within =
    value !== null &&
    (atLeast === undefined || value >= atLeast) &&
    (atMost === undefined || value <= atMost);
  return {
    goal,
    value,
    ...(atLeast === undefined ? {} : { atLeast }),
    ...(atMost === undefined ? {} : { atMost }),
    met: value === null ? null : valid && within,
  };
}

/** Prints goals one a line: the statement, the measured value and the verdict. */
export function printGoals(title: string, goals: readonly Goal[]): void {
  console.log(`${title}:`);
  for (const { goal, value, unit, met } of goals) {
    const shown = unit === undefined || value === null ? fmt(value) : `${value} ${unit}`;
    console.log(`  ${goal}: ${shown} ${verdict(met)}`);
  }
}

/** The round pairs' ratios (roundPairs): their median and range, when there are several. */
export const spreadOf = (pairs: readonly number[]): string =>
  pairs.length > 1
    ? ` (round pairs: median ${fmt(median(pairs))}, ${fmt(Math.min(...pairs))}-${fmt(Math.max(...pairs))})`
    : '';

/**
 * A judged pair ratio: the median of the round pairs with their range, and the ratio of the medians; with a
 * single round pair, the ratio alone.
 */
export const pairText = ({ value, roundPairs, ofMedians }: PairRatio): string =>
  roundPairs.length > 1
    ? `${fmt(value)} (median of ${roundPairs.length} round pairs, ${fmt(Math.min(...roundPairs))}-` +
      `${fmt(Math.max(...roundPairs))}; ratio of the medians ${fmt(ofMedians)})`
    : fmt(value);

/** The round pairs' range only, when there are several (the federation section's lines). */
export const rangeOf = (pairs: readonly number[]): string =>
  pairs.length > 1 ? ` (round pairs: ${fmt(Math.min(...pairs))}-${fmt(Math.max(...pairs))})` : '';

const readJson = (file: string): unknown => JSON.parse(readFileSync(file, 'utf8'));

/** The packages measured (the bench's dependencies, type declarations apart) and the Custos version. */
function versions(): Record<string, unknown> {
  const bench = readJson(path.join(benchDir, 'package.json')) as { devDependencies?: Record<string, string> };
  const subgraphPackage = path.join(repoRoot, 'apps', 'subgraph', 'package.json');
  return {
    ...Object.fromEntries(
      Object.entries(bench.devDependencies ?? {}).filter(([name]) => !name.startsWith('@types/')),
    ),
    custos: existsSync(subgraphPackage) ? (readJson(subgraphPackage) as { version?: string }).version : null,
  };
}

/**
 * Writes the run's JSON to bench/results/<started>.json and bench/results/latest.json: the machine, the settings,
 * the versions, the exact queries, then each section's part (`sections`, in order) and the warnings.
 */
export async function writeReport(run: Run, sections: Readonly<Record<string, unknown>>): Promise<void> {
  const { settings, startedAt } = run;
  const report = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: {
      node: process.version,
      platform: `${os.platform()} ${os.release()} ${os.arch()}`,
      cpu: os.cpus()[0]?.model ?? 'unknown',
      cores: os.availableParallelism(),
      memoryBytes: os.totalmem(),
    },
    settings: {
      ...settings,
      pinned: pinning(),
      nodeFlags: NODE_FLAGS,
      custosMode: 'NODE_ENV=production, ES256 JWT verified against a loopback JWKS',
      enforcementMode:
        'NODE_ENV=test (CUSTOS_POLICY_ALLOW_ALL is refused in production), otherwise as custos; ' +
        'allow-all: CUSTOS_POLICY_ALLOW_ALL=1',
      database: run.databaseServer.kind,
      postgresVersion: run.postgresVersion,
      seeded: run.database.seeded,
    },
    versions: versions(),
    queries: {
      custos: CUSTOS_QUERY,
      bare: CUSTOS_QUERY,
      noCursor: NO_CURSOR_QUERY,
      postgraphile: POSTGRAPHILE_QUERY,
      entities: ENTITIES_QUERY,
    },
    ...sections,
    warnings: run.warnings,
  };
  const resultsDir = path.join(benchDir, 'results');
  await mkdir(resultsDir, { recursive: true });
  const file = path.join(resultsDir, `${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  const json = `${JSON.stringify(report, null, 2)}\n`;
  await writeFile(file, json);
  await writeFile(path.join(resultsDir, 'latest.json'), json);
  console.log(`\nwrote ${path.relative(repoRoot, file)} and bench/results/latest.json`);
}
