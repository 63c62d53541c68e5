// Measuring: one server at a time, or a pair (or group) side by side with alternating rounds. Each case is
// verified before any load; the load generator (load.ts) runs as its own process, pinned to the load core.
import path from 'node:path';
import type { Run } from './context.js';
import type { LoadConfig, LoadOutput, LoadRound } from './load-types.js';
import { distDir } from './paths.js';
import { cpuMs, nodeCommand, postgresCpu, postgresCpuSince, startChild } from './processes.js';
import { type BenchRequest, type Case, casesFor, requestFor } from './requests.js';
import { type MeasuredRound, type Row, summarise } from './rows.js';
import { databaseOf, type StartedServer, startServer } from './servers.js';
import type { ServerName } from './settings.js';
import { countStatements, formatSql } from './sql-count.js';
import { type VerifiedPage, verify } from './verify.js';

/** Runs the load generator pinned to the load core and returns its rounds. */
export async function load(
  run: Run,
  name: ServerName,
  request: BenchRequest,
  rounds: number,
  options: Partial<LoadConfig> = {},
): Promise<readonly LoadRound[]> {
  const { settings } = run;
  const config: LoadConfig = {
    ...request,
    connections: settings.connections,
    warmupSeconds: settings.warmupSeconds,
    durationSeconds: settings.durationSeconds,
    rounds,
    ...options,
  };
  const { command, args } = nodeCommand(settings.loadCore, [path.join(distDir, 'load.js')]);
  // The config goes on stdin: it holds a bearer token, and argv is visible to every user.
  const child = startChild(`load ${name}`, command, args, {
    input: JSON.stringify(config),
    inheritStderr: true,
    captureStdout: true,
  });
  const { code, signal } = await child.exited;
  if (code !== 0) throw new Error(`load generator failed (exit ${code ?? signal})\n${child.output()}`);
  const output: LoadOutput = JSON.parse(child.stdout().trim().split('\n').at(-1) ?? '');
  return output.rounds;
}

/** The `x-request-id` prefix of one server's load processes at one case, this run (measurePair's tagLoads). */
export const loadTag = (run: Run, name: ServerName, item: Case): string =>
  `bench-${run.startedAt.getTime()}.${name}.${item.key.replace('=', '')}`;

/** Counts one server's SQL statements per request (run.sqlCounts); a failure is a warning, not the end. */
async function countSql(run: Run, name: ServerName, cases: readonly Case[]): Promise<void> {
  const server = run.spec(name);
  try {
    const counts = await countStatements(run, name, databaseOf(run, name).appUrl, cases);
    run.sqlCounts[name] = counts;
    const counted = cases.map((item) => `${item.key}: ${formatSql(counts[item.key]?.perRequest)}`);
    console.log(
      `${server.label}: SQL statements per request (${run.settings.sqlCountRequests} requests): ` +
        counted.join(', '),
    );
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    run.warnings.push(`${name}: SQL statements not counted: ${why.split('\n')[0]}`);
    console.warn(`${server.label}: SQL statements not counted: ${why}`);
  }
}

/** Lines of a server's output shown with an answer that failed verification. */
const VERIFY_OUTPUT_LINES = 40;

/**
 * Checks every case of a started server before any load; returns the verified answers by case key. Lists are
 * compared with the first server verified at that size: the same rows in order, and computed (not sealed) cursors
 * alike; a difference is a warning.
 */
async function verifyAll(
  run: Run,
  name: ServerName,
  { port, output }: Pick<StartedServer, 'port' | 'output'>,
  cases: readonly Case[],
): Promise<Map<string, VerifiedPage>> {
  const server = run.spec(name);
  const verified = new Map<string, VerifiedPage>();
  for (const item of cases) {
    const page = await verify(name, server, requestFor(server, port, item, run.identity), item).catch(
      (error: unknown) => {
        // The answer says that it failed; the server's own log usually says why (a masked error's details).
        const lines = output().split('\n').filter(Boolean).slice(-VERIFY_OUTPUT_LINES);
        const why = error instanceof Error ? error.message : String(error);
        throw new Error(
          lines.length > 0
            ? `${why}\n${name}'s last ${lines.length} lines of output:\n${lines.join('\n')}`
            : why,
        );
      },
    );
    verified.set(item.key, page);
    if (item.kind !== 'list' || server.ownRows) continue;
    const size = item.size;
    const first = run.reference.get(size);
    if (!first) run.reference.set(size, { name, ...page });
    else if (page.ids.join() !== first.ids.join()) {
      run.warnings.push(`${name} and ${first.name} return different rows at first=${size}`);
    } else if (
      // Sealed cursors are random per answer: only computed ones (the bare server's) compare.
      !server.opaqueCursors &&
      !run.spec(first.name).opaqueCursors &&
      name !== 'postgraphile' &&
      first.name !== 'postgraphile' &&
      page.cursors.join() !== first.cursors.join()
    ) {
      run.warnings.push(`${name} and ${first.name} compute different cursors at first=${size}`);
    }
  }
  console.log(`verified ${name}: ${cases.map((item) => `${item.key} ok`).join(', ')}`);
  return verified;
}

/** The row of one server at one case; its SQL count attached when it was counted. */
function record(
  run: Run,
  name: ServerName,
  item: Case,
  rounds: readonly MeasuredRound[],
  verified: VerifiedPage | undefined,
): Row {
  const server = run.spec(name);
  if (!verified) throw new Error(`${name} at ${item.key}: not verified`);
  const summary = summarise(name, server, item, rounds, verified);
  const row = server.countSql
    ? { ...summary, sqlStatementsPerRequest: run.sqlCounts[name]?.[item.key]?.perRequest ?? null }
    : summary;
  if (!row.valid) {
    run.warnings.push(`${name} at ${item.key} had failed responses: ${JSON.stringify(row.failures)}`);
  }
  return row;
}

/** One server alone: SQL counted (when it is), started, verified, then each case's warm-up and rounds. */
export async function measureOne(run: Run, name: ServerName): Promise<Row[]> {
  const server = run.spec(name);
  console.log(`\n== ${server.label} ==`);
  const cases = casesFor(server, run.settings, run.entityIds);
  if (server.countSql) await countSql(run, name, cases);
  const started = await startServer(run, name, databaseOf(run, name).appUrl);
  const { port, stop } = started;
  const rows: Row[] = [];
  try {
    const verified = await verifyAll(run, name, started, cases);
    for (const item of cases) {
      console.log(`${item.key}:`);
      const rounds = await load(run, name, requestFor(server, port, item, run.identity), item.rounds);
      rows.push(record(run, name, item, rounds, verified.get(item.key)));
    }
  } finally {
    await stop();
  }
  return rows;
}

/** Which load process is about to start: `next`'s warm-up or measured round (1-based), after `previous`'s. */
export interface RoundStart {
  readonly item: Case;
  readonly next: ServerName;
  /** The server whose load process ran last in this pair (undefined before the pair's first load process). */
  readonly previous: ServerName | undefined;
  readonly round: number | 'warmup';
}

export interface PairOptions {
  /**
   * Runs before each load process, warm-up or measured round, every server still running (the references' and
   * the scale section's housekeeping: what the previous server wrote is vacuumed and checkpointed). Timed apart:
   * no round includes it. Returns a line to print.
   */
  beforeRound?(start: RoundStart): Promise<string>;
  /**
   * Each load process (warm-up or round) sends its own `x-request-id`, `<loadTag>.warmup` or `<loadTag>.r<round>`,
   * as a gateway would send its request id (the audit section counts events by it).
   */
  readonly tagLoads?: boolean;
  /** Runs after each case's rounds, every server still running. `roundTags`: each measured round's tag. */
  afterCase?(
    item: Case,
    rounds: ReadonlyMap<ServerName, readonly MeasuredRound[]>,
    roundTags: ReadonlyMap<ServerName, readonly string[]>,
  ): Promise<void>;
}

/**
 * Servers whose ratio is the result: all started (pinned to the same core), but only one under load at any time.
 * Per case: a warm-up of each, then their rounds alternate (A B C, C B A, A B C, …), so that a slow minute of a
 * shared machine falls on all alike instead of on whichever ran then. Each round records each process's CPU ms per
 * answered request; with a `beforeRound` hook, the hook's time before it (beforeRoundMs, outside the round).
 */
export async function measurePair(
  run: Run,
  names: readonly ServerName[],
  { afterCase, beforeRound, tagLoads = false }: PairOptions = {},
): Promise<Row[]> {
  const [firstName] = names;
  if (firstName === undefined) return [];
  const { settings } = run;
  console.log(`\n== ${names.map((name) => run.spec(name).label).join(' vs ')} ==`);
  const cases = casesFor(run.spec(firstName), settings, run.entityIds);
  for (const name of names) if (run.spec(name).countSql) await countSql(run, name, cases);
  const started: (StartedServer & { readonly name: ServerName })[] = [];
  const rows: Row[] = [];
  try {
    for (const name of names) {
      started.push({ name, ...(await startServer(run, name, databaseOf(run, name).appUrl)) });
    }
    const verified = new Map<ServerName, Map<string, VerifiedPage>>();
    for (const server of started) verified.set(server.name, await verifyAll(run, server.name, server, cases));
    /** The server whose load process ran last, across cases (beforeRound's `previous`). */
    let previous: ServerName | undefined;
    for (const item of cases) {
      console.log(`${item.key}:`);
      const rounds = new Map<ServerName, MeasuredRound[]>(names.map((name) => [name, []]));
      const roundTags = new Map<ServerName, string[]>(names.map((name) => [name, []]));
      const requests = new Map(
        started.map(({ name, port }) => [name, requestFor(run.spec(name), port, item, run.identity)]),
      );
      const tagged = (name: ServerName, suffix: string): BenchRequest => {
        const request = requests.get(name);
        if (!request) throw new Error(`${name} was not started`);
        if (!tagLoads) return request;
        const tag = `${loadTag(run, name, item)}.${suffix}`;
        if (suffix !== 'warmup') roundTags.get(name)?.push(tag);
        return { ...request, headers: { ...request.headers, 'x-request-id': tag } };
      };
      /** The hook before `next`'s load process, timed (ms, not part of any round); 0 without a hook. */
      const housekeep = async (next: ServerName, round: number | 'warmup'): Promise<number> => {
        if (!beforeRound) return 0;
        const started = performance.now();
        const line = await beforeRound({ item, next, previous, round });
        const ms = Math.round(performance.now() - started);
        console.log(`  before ${next} ${round === 'warmup' ? 'warm-up' : `round ${round}`}: ${line}`);
        previous = next;
        return ms;
      };
      if (settings.warmupSeconds > 0) {
        for (const name of names) {
          await housekeep(name, 'warmup');
          await load(run, name, tagged(name, 'warmup'), 0, { label: name });
        }
      }
      for (let round = 0; round < item.rounds; round++) {
        // A B C, C B A, A B C, …: each server's round i runs next to the others' round i.
        const order = round % 2 === 0 ? names : [...names].reverse();
        for (const name of order) {
          const beforeRoundMs = await housekeep(name, round + 1);
          const pids = started.find((server) => server.name === name)?.pids ?? {};
          const before = Object.entries(pids).map(([role, pid]) => [role, pid, cpuMs(pid)] as const);
          const postgresBefore = postgresCpu();
          const [result] = await load(run, name, tagged(name, `r${round + 1}`), 1, {
            label: name,
            warmupSeconds: 0,
            firstRound: round + 1,
            totalRounds: item.rounds,
          });
          if (!result) throw new Error(`load generator gave no round for ${name}`);
          // CPU ms per answered request, per process of this server (the front and its subgraph, or one), and of
          // PostgreSQL's processes when they run on this machine (the round's statements, and any writes after them).
          const postgresUsed = postgresCpuSince(postgresBefore);
          const cpu: Record<string, number> = {};
          const perRequest = (ms: number) => Math.round((ms / result.totalRequests) * 1000) / 1000;
          for (const [role, pid, used] of before) {
            const now = cpuMs(pid);
            if (used !== null && now !== null && result.totalRequests > 0) cpu[role] = perRequest(now - used);
          }
          if (postgresUsed !== null && result.totalRequests > 0) cpu.postgres = perRequest(postgresUsed);
          rounds
            .get(name)
            ?.push({ ...result, cpuMsPerRequest: cpu, ...(beforeRound ? { beforeRoundMs } : {}) });
        }
      }
      for (const name of names) {
        rows.push(record(run, name, item, rounds.get(name) ?? [], verified.get(name)?.get(item.key)));
      }
      if (afterCase) await afterCase(item, rounds, roundTags);
    }
  } finally {
    for (const { stop } of started) await stop();
  }
  return rows;
}
