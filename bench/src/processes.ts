// Child processes (servers, load generators, the seed), their pinning to cores, their CPU time, and the cleanup
// that stops every one of them on every exit path (end, error, Ctrl-C).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { repoRoot } from './paths.js';

/** Everything started here, so that every exit path stops it. */
const children = new Set<ChildProcess>();
const cleanups: (() => unknown)[] = [];

/** Runs `fn` when the run ends, however it ends; the last registered runs first. */
export function onCleanup(fn: () => unknown): void {
  cleanups.push(fn);
}

let pinningProbe: boolean | undefined;
/**
 * Whether `taskset` pins processes to cores here (probed once). Without it (or with one core) the numbers mean
 * less, but the run still goes on.
 */
export function pinning(): boolean {
  pinningProbe ??= (() => {
    if (os.availableParallelism() < 2) {
      console.warn('warning: fewer than 2 cores; server and load generator will share the CPU');
      return false;
    }
    const probe = spawnSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' });
    if (probe.error || probe.status !== 0) {
      console.warn(
        'warning: taskset is unavailable; server and load generator are not pinned to separate cores',
      );
      return false;
    }
    return true;
  })();
  return pinningProbe;
}

/** The command line for `node <args>`, pinned to `core` when pinning works. */
export function nodeCommand(core: number, args: readonly string[]): { command: string; args: string[] } {
  return pinning()
    ? { command: 'taskset', args: ['-c', String(core), process.execPath, ...args] }
    : { command: process.execPath, args: [...args] };
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly error?: Error;
}

export interface ChildHandle {
  readonly name: string;
  readonly child: ChildProcess;
  readonly exited: Promise<Exit>;
  /** Its last 200 lines of output, to explain a failure. */
  output(): string;
  /** Its whole stdout, when captured. */
  stdout(): string;
}

export interface ChildOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Written to its stdin, which is then closed. */
  readonly input?: string;
  /** Shows stderr live (progress of the seed and the load generator) instead of keeping it. */
  readonly inheritStderr?: boolean;
  readonly captureStdout?: boolean;
}

/**
 * Starts a child process that stays tracked until it exits. Its output is kept (last 200 lines) to explain a
 * failure; `inheritStderr` shows stderr live instead.
 */
export function startChild(
  name: string,
  command: string,
  args: readonly string[],
  { env, input, inheritStderr = false, captureStdout = false }: ChildOptions = {},
): ChildHandle {
  const child = spawn(command, args, {
    cwd: repoRoot,
    env: env ?? process.env,
    stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', inheritStderr ? 'inherit' : 'pipe'],
  });
  if (input !== undefined) child.stdin?.end(input);
  const lines: string[] = [];
  let stdout = '';
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    if (lines.length > 200) lines.splice(0, lines.length - 200);
  };
  child.stdout?.on('data', (chunk: Buffer) => {
    if (captureStdout) stdout += chunk.toString('utf8');
    keep(chunk);
  });
  child.stderr?.on('data', keep);
  const exited = new Promise<Exit>((resolve) => {
    child.once('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    });
    child.once('error', (error) => {
      children.delete(child);
      lines.push(`${name}: ${error.message}`);
      resolve({ code: null, signal: null, error });
    });
  });
  children.add(child);
  return { name, child, exited, output: () => lines.join('\n'), stdout: () => stdout };
}

/** SIGTERM, then SIGKILL when the process has not exited after `graceMs`. */
export async function stopChild(handle: ChildHandle, graceMs = 5_000): Promise<void> {
  if (handle.child.exitCode !== null || handle.child.signalCode !== null) return;
  handle.child.kill('SIGTERM');
  const timer = setTimeout(() => handle.child.kill('SIGKILL'), graceMs);
  await handle.exited;
  clearTimeout(timer);
}

/** Clock ticks per second of /proc's CPU times. */
const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK']).stdout?.toString().trim()) || 100;

/** A /proc/<pid>/stat line's command name and CPU ms (user + system, every thread). */
function statOf(pid: number | string): { readonly command: string; readonly ms: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return {
    command: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')),
    ms: ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS,
  };
}

/**
 * CPU time (user + system, every thread: the main thread, the GC and compiler threads) a process has used so
 * far, in ms, from /proc; null where /proc is not there. Divided by the requests of a round: what each process
 * costs per request, which on a shared, noisy machine is steadier than requests/s.
 */
export function cpuMs(pid: number): number | null {
  try {
    return statOf(pid).ms;
  } catch {
    return null;
  }
}

/**
 * CPU ms used so far by every PostgreSQL process of this machine (command name `postgres`: the backends serving
 * the servers' connections, the WAL writer, the checkpointer, autovacuum), by pid; empty when there is none (a
 * database on another host) or no /proc.
 */
export function postgresCpu(): Map<number, number> {
  const used = new Map<number, number>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return used;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const { command, ms } = statOf(entry);
      if (command === 'postgres') used.set(Number(entry), ms);
    } catch {
      // Exited since the directory was read.
    }
  }
  return used;
}

/**
 * CPU ms PostgreSQL used since `before` (postgresCpu): over the processes alive now, the whole of those started
 * since (a server's pool replaces the connections it closed while idle, and a new backend's first statements are
 * part of the round); a backend that exited in between is not counted. Null when there was none.
 */
export function postgresCpuSince(before: ReadonlyMap<number, number>): number | null {
  if (before.size === 0) return null;
  let sum = 0;
  for (const [pid, ms] of postgresCpu()) sum += ms - (before.get(pid) ?? 0);
  return sum;
}

let cleaningUp: Promise<void> | undefined;
/** Stops every child and runs the cleanups (once, however often it is called). */
export function cleanup(): Promise<void> {
  cleaningUp ??= (async () => {
    for (const child of children) child.kill('SIGTERM');
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch (error) {
        console.error(`cleanup: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  })();
  return cleaningUp;
}

/** Signals, a reader gone away, an uncaught error, any exit: no server may outlive the run. */
export function installExitHandlers(): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`\n${signal}: stopping servers and database`);
      cleanup().finally(() => process.exit(130));
    });
  }
  // Output piped into a reader that went away (`| head`): keep going quietly so cleanup still runs.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
  process.on('uncaughtException', (error) => {
    console.error(`bench failed: ${error instanceof Error ? error.message : String(error)}`);
    cleanup().finally(() => process.exit(1));
  });
  // Last resort on any exit path that skipped cleanup().
  process.on('exit', () => {
    for (const child of children) child.kill('SIGKILL');
  });
}
