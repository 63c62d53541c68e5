// `npm run profile`: where the production subgraph's CPU goes per request, by stage, under the bench's own load.
//
// For each page size (BENCH_SIZES, default 50 and 500) it starts the `custos` server exactly as the bench does
// (servers.ts: the production spec, pinned to the server core, same flags and environment) plus V8's sampling
// profiler (`--cpu-prof`, through NODE_OPTIONS so that startServer's command line stays the bench's), loads it with
// the bench's load generator (a warm-up, then one measured window of PROFILE_SECONDS), stops it with SIGTERM (the
// subgraph's own shutdown exits normally, which is when V8 writes the .cpuprofile), and reads the profile:
//   - only the samples taken inside the measured window count (V8's sample clock and this process's
//     process.hrtime are both CLOCK_MONOTONIC on Linux; a profile that does not cover the window stops the run);
//   - each sample goes to the first stage of STAGES (in table order) that one of its stack's frames matches;
//   - a stage's µs per request = its samples' time / the requests the load generator got answered in the window.
// Prints a markdown table (and the top self-time functions) and writes bench/results/profile-<time>.json and
// bench/results/profile-latest.json; the .cpuprofile files stay in bench/results/profiles/<time>/ (open them in
// Chrome DevTools or speedscope). BENCH_BASELINE_DIR=<another checkout, built> profiles its subgraph too, next to
// this one at each size in alternating order (the "before" columns); PROFILE_BASELINE=<an earlier profile JSON>
// takes the "before" columns from that run instead.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Run } from './context.js';
import { ensureBenchDatabase, queryRows, resolveDatabaseServer } from './database.js';
import { load } from './measure.js';
import { benchDir, repoRoot } from './paths.js';
import { cleanup, cpuMs, installExitHandlers, onCleanup, pinning } from './processes.js';
import { requestFor } from './requests.js';
import { SERVERS } from './sections/index.js';
import { NODE_FLAGS, startServer } from './servers.js';
import { readSettings, type Settings } from './settings.js';
import { startIdentityProvider } from './tokens.js';

/** One rule: a frame matches when its script URL matches `url` and its function name matches `fn` (each if given). */
interface FrameRule {
  readonly url?: RegExp;
  readonly fn?: RegExp;
}

interface Stage {
  readonly key: string;
  readonly label: string;
  readonly rules: readonly FrameRule[];
}

const NM = (pkg: string) => new RegExp(`/node_modules/${pkg}/`);
const OURS = (file: string) => new RegExp(`/(?:packages|apps)/${file}`);

/**
 * The stages, in priority order: a sample belongs to the first stage one of whose rules matches any frame of its
 * stack (leaf to root). So the order says who wins where stacks nest: the audit writer's pg calls are audit, a
 * resolver's SQL is SQL, not field resolution; the HTTP server's frames under everything it calls synchronously
 * come last. Samples matching nothing are `other` (its top frames are printed so that rules can be added).
 * Frames: `url` is the script's URL (file:///…/node_modules/pg/lib/client.js, node:_http_server, `(eval)` for
 * graphql-jit's compiled code, empty for V8 builtins), `fn` the function's name.
 */
export const STAGES: readonly Stage[] = [
  { key: 'idle', label: 'idle (waiting: not CPU)', rules: [{ fn: /^\(idle\)$/ }] },
  { key: 'gc', label: 'GC', rules: [{ fn: /^\(garbage collector\)$/ }] },
  {
    key: 'audit',
    label: 'audit recording (access record, event, digest, canonicalJson, writer and its SQL)',
    rules: [{ url: OURS('audit/') }, { url: OURS('server/dist/audit-plugin') }],
  },
  {
    key: 'token',
    label: 'token check (jose, identity)',
    rules: [{ url: NM('jose') }, { url: OURS('runtime/dist/identity/') }],
  },
  {
    key: 'parse',
    label: 'document parse (graphql-js parser)',
    rules: [{ url: /\/node_modules\/graphql\/language\/(parser|lexer)/ }],
  },
  {
    key: 'validate',
    label: 'document validate, limits and cost',
    rules: [
      { url: /\/node_modules\/graphql\/validation\// },
      { url: OURS('runtime/dist/limits') },
      { url: OURS('server/dist/limits-plugin') },
    ],
  },
  {
    key: 'cursor',
    label: 'cursor encoding (sealing)',
    rules: [{ url: OURS('runtime/dist/cursors') }],
  },
  {
    key: 'context',
    label: 'context and loaders (incl. MikroORM em.fork)',
    rules: [
      { url: OURS('server/dist/context') },
      { url: OURS('subgraph/dist/app'), fn: /^context$/ },
      { url: OURS('subgraph/dist/(loaders|\\w+/\\w+\\.loaders)') },
      { url: NM('@mikro-orm/core'), fn: /^(fork|EntityManager|getContext)$/ },
      { url: NM('dataloader') },
    ],
  },
  {
    key: 'rows',
    label: 'row mapping (pg rows to objects, connection edges)',
    rules: [
      { url: /\/node_modules\/pg\/lib\/result/ },
      { url: NM('pg-types') },
      { url: NM('postgres-date') },
      { url: OURS('runtime/dist/pagination') },
    ],
  },
  {
    key: 'sql',
    label: 'SQL (pg driver, protocol, kysely, MikroORM connection)',
    rules: [
      { url: NM('pg') },
      { url: NM('pg-protocol') },
      { url: NM('pg-pool') },
      { url: NM('kysely') },
      { url: NM('@mikro-orm/(core|knex|sql|postgresql)') },
      { url: OURS('database/dist/') },
    ],
  },
  {
    key: 'fields',
    label: 'field resolution and redaction (privacy plugin, policy, Pothos, resolvers)',
    rules: [
      { url: OURS('enforcement/') },
      { url: OURS('policy/') },
      { url: NM('@pothos/[^/]+') },
      { url: OURS('subgraph/dist/(contacts|companies|interactions|schema)/') },
      { url: OURS('server/dist/redactions-plugin') },
    ],
  },
  {
    key: 'serialise',
    label: 'serialisation (JSON.stringify of the result)',
    rules: [{ fn: /^stringifyResult$/ }, { url: OURS('server/dist/direct-lane'), fn: /^serialise$/ }],
  },
  {
    key: 'execute',
    label: 'execution (graphql-jit compiled query, result tree)',
    rules: [{ url: /^\(eval\)$/ }, { url: NM('graphql-jit') }, { url: OURS('server/dist/jit-executor') }],
  },
  {
    key: 'apollo',
    label: 'request pipeline: the direct lane, or Apollo Server (document cache lookup, plugins)',
    rules: [
      { url: OURS('server/dist/direct-lane') },
      { url: NM('negotiator') },
      { url: /\/node_modules\/@apollo\// },
      { url: /\/node_modules\/graphql\// },
      { url: OURS('server/dist/graphql-server') },
    ],
  },
  {
    key: 'http',
    label: 'HTTP (node:http, body, socket writes, our HTTP edge)',
    rules: [
      { url: /^node:(_http_\w+|net|internal\/stream_base_commons|internal\/streams\/|internal\/http)/ },
      { url: OURS('server/dist/http-server') },
      { url: OURS('runtime/dist/http') },
      { fn: /^(writev|writeUtf8String|writeBuffer|writeLatin1String|readStart|onStreamRead)$/ },
    ],
  },
  {
    key: 'program',
    label: 'V8 (program: compiler, runtime, unattributed)',
    rules: [{ fn: /^\(program\)$/ }],
  },
];

/** What V8 writes (the parts read here). */
interface CpuProfile {
  readonly nodes: readonly {
    readonly id: number;
    readonly callFrame: {
      readonly functionName: string;
      readonly url: string;
      readonly scriptId: string;
      readonly lineNumber: number;
    };
    readonly children?: readonly number[];
  }[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

interface StageResult {
  readonly key: string;
  readonly label: string;
  readonly samples: number;
  readonly microsPerRequest: number;
  /** Share of the window's CPU (idle excluded). */
  readonly cpuShare: number | null;
}

interface FunctionResult {
  readonly name: string;
  readonly where: string;
  readonly stage: string;
  readonly microsPerRequest: number;
  readonly cpuShare: number;
}

interface SizeResult {
  readonly size: number;
  readonly requests: number;
  readonly requestsPerSecond: number;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  readonly failed: number;
  readonly windowMs: number;
  readonly sampleIntervalMicros: number;
  /** CPU of the profile's non-idle samples per request (main thread). */
  readonly profiledMicrosPerRequest: number;
  /** Gaps between samples longer than 4 intervals (the process waiting for a CPU), per request: in no stage. */
  readonly stalledMicrosPerRequest: number;
  /** The process's CPU per request from /proc (every thread: main, GC helpers, compiler). */
  readonly processMicrosPerRequest: number | null;
  /** Whether graphql-js's parser ran in the window at all: no samples means the document came from the cache. */
  readonly documentCached: boolean;
  readonly stages: readonly StageResult[];
  readonly topSelf: readonly FunctionResult[];
  readonly otherTop: readonly FunctionResult[];
  readonly profileFile: string;
  /** The measured window, µs on the profile's clock (to reread the profile's samples of that window). */
  readonly window: { readonly from: number; readonly to: number };
}

const env = (name: string, fallback: number): number => {
  const raw = process.env[name]?.trim();
  if (!raw) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new Error(`${name} must be a whole number above 0`);
  return Number(raw);
};

/** A frame's script as a stable short string: the path inside the repository, or the node: module. */
function shortUrl(url: string, scriptId: string): string {
  if (url === '') return scriptId === '0' ? '' : '(eval)';
  const file = url.replace(/^file:\/\//, '');
  return file.startsWith(repoRoot) ? path.relative(repoRoot, file) : file;
}

/** Each node's stage (by its own stack, leaf to root) and its parent, computed once per node. */
function classify(profile: CpuProfile): Map<number, { stage: string; name: string; where: string }> {
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const result = new Map<number, { stage: string; name: string; where: string }>();
  for (const node of profile.nodes) {
    const frames: { url: string; fn: string }[] = [];
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const frame = byId.get(id)?.callFrame;
      if (!frame) break;
      const url = frame.url === '' && frame.scriptId !== '0' ? '(eval)' : frame.url;
      frames.push({ url, fn: frame.functionName });
    }
    const stage =
      STAGES.find((candidate) =>
        candidate.rules.some((rule) =>
          frames.some(
            (frame) => (!rule.url || rule.url.test(frame.url)) && (!rule.fn || rule.fn.test(frame.fn)),
          ),
        ),
      )?.key ?? 'other';
    const { callFrame } = node;
    const where = shortUrl(callFrame.url, callFrame.scriptId);
    result.set(node.id, {
      stage,
      name: callFrame.functionName || '(anonymous)',
      where: where ? `${where}:${callFrame.lineNumber + 1}` : '(native)',
    });
  }
  return result;
}

/**
 * The profile's samples inside [from, to] (µs, CLOCK_MONOTONIC), each with its duration: the time to the next
 * sample, at most `cap`. A longer gap is the process waiting for a CPU (the machine is shared), not work done by
 * the stack that happened to be sampled: counted as `stalled`, not as any stage.
 */
function windowSamples(
  profile: CpuProfile,
  from: number,
  to: number,
  cap: number,
): { samples: { node: number; micros: number }[]; stalled: number } {
  if (profile.startTime > from || profile.endTime < to) {
    throw new Error(
      `the profile (${profile.startTime}–${profile.endTime} µs) does not cover the measured window ` +
        `(${from}–${to} µs): are the clocks the same (Linux, CLOCK_MONOTONIC)?`,
    );
  }
  const out: { node: number; micros: number }[] = [];
  let stalled = 0;
  let time = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    time += profile.timeDeltas[i] ?? 0;
    // A sample stands for the interval up to the next one.
    const gap = Math.max(0, profile.timeDeltas[i + 1] ?? 0);
    if (time >= from && time < to) {
      out.push({ node: profile.samples[i] ?? 0, micros: Math.min(gap, cap) });
      stalled += Math.max(0, gap - cap);
    }
  }
  return { samples: out, stalled };
}

function analyse(
  profile: CpuProfile,
  window: { from: number; to: number },
  requests: number,
  intervalMicros: number,
): Omit<
  SizeResult,
  | 'size'
  | 'requestsPerSecond'
  | 'p50Ms'
  | 'p99Ms'
  | 'failed'
  | 'processMicrosPerRequest'
  | 'profileFile'
  | 'requests'
  | 'sampleIntervalMicros'
  | 'window'
> {
  const nodes = classify(profile);
  const { samples, stalled } = windowSamples(profile, window.from, window.to, 4 * intervalMicros);
  const byStage = new Map<string, { samples: number; micros: number }>();
  const bySelf = new Map<
    string,
    { name: string; where: string; stages: Map<string, number>; micros: number }
  >();
  let busy = 0;
  for (const { node, micros } of samples) {
    const info = nodes.get(node) ?? { stage: 'other', name: '(unknown)', where: '' };
    const stage = byStage.get(info.stage) ?? { samples: 0, micros: 0 };
    stage.samples += 1;
    stage.micros += micros;
    byStage.set(info.stage, stage);
    if (info.stage === 'idle') continue;
    busy += micros;
    const key = `${info.name} ${info.where}`;
    const self = bySelf.get(key) ?? { name: info.name, where: info.where, stages: new Map(), micros: 0 };
    self.micros += micros;
    self.stages.set(info.stage, (self.stages.get(info.stage) ?? 0) + micros);
    bySelf.set(key, self);
  }
  const perRequest = (micros: number) => Math.round((micros / requests) * 10) / 10;
  const share = (micros: number) => (busy > 0 ? Math.round((micros / busy) * 1000) / 1000 : 0);
  const stages: StageResult[] = [
    ...STAGES,
    { key: 'other', label: 'other (no rule matched)', rules: [] },
  ].map(({ key, label }) => {
    const found = byStage.get(key) ?? { samples: 0, micros: 0 };
    return {
      key,
      label,
      samples: found.samples,
      microsPerRequest: perRequest(found.micros),
      cpuShare: key === 'idle' ? null : share(found.micros),
    };
  });
  const functions = [...bySelf.values()].map((self) => ({
    name: self.name,
    where: self.where,
    stage: [...self.stages.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'other',
    microsPerRequest: perRequest(self.micros),
    cpuShare: share(self.micros),
    otherMicros: self.stages.get('other') ?? 0,
  }));
  const top = (list: typeof functions, n: number) =>
    list
      .sort((a, b) => b.microsPerRequest - a.microsPerRequest)
      .slice(0, n)
      .map(({ otherMicros: _, ...rest }) => rest);
  return {
    windowMs: Math.round((window.to - window.from) / 1000),
    profiledMicrosPerRequest: perRequest(busy),
    stalledMicrosPerRequest: perRequest(stalled),
    documentCached: (byStage.get('parse')?.samples ?? 0) === 0,
    stages,
    topSelf: top([...functions], 25),
    otherTop: top(
      functions
        .filter((f) => f.otherMicros > 0)
        .map((f) => ({ ...f, microsPerRequest: perRequest(f.otherMicros) })),
      10,
    ),
  };
}

/** The one .cpuprofile the server wrote into `dir`, once it is complete. */
async function readProfile(dir: string): Promise<{ file: string; profile: CpuProfile }> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const files = (await readdir(dir)).filter((file) => file.endsWith('.cpuprofile'));
    if (files.length > 1) throw new Error(`${dir} holds more than one profile`);
    const [file] = files;
    if (file) {
      try {
        const full = path.join(dir, file);
        return { file: full, profile: JSON.parse(await readFile(full, 'utf8')) };
      } catch {
        // Still being written.
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`no complete .cpuprofile in ${dir}: the server did not exit normally`);
}

async function profileSize(
  run: Run,
  name: 'custos' | 'change-before',
  size: number,
  dir: string,
  seconds: number,
  intervalMicros: number,
): Promise<SizeResult> {
  const server = run.spec(name);
  await mkdir(dir, { recursive: true });
  const nodeOptions = [
    process.env.NODE_OPTIONS ?? '',
    '--cpu-prof',
    `--cpu-prof-dir=${dir}`,
    `--cpu-prof-interval=${intervalMicros}`,
  ].join(' ');
  console.log(
    `\n== ${server.label}, first ${size}: profiling (${seconds} s, a sample every ${intervalMicros} µs) ==`,
  );
  const started = await startServer(run, name, run.database.appUrl, { NODE_OPTIONS: nodeOptions.trim() });
  let round: Awaited<ReturnType<typeof load>>[number] | undefined;
  let window: { from: number; to: number } | undefined;
  let processMicros: number | null = null;
  try {
    const request = requestFor(
      server,
      started.port,
      { kind: 'list', key: `first=${size}`, size, rounds: 1 },
      run.identity,
    );
    if (run.settings.warmupSeconds > 0) await load(run, name, request, 0, { label: name });
    const pid = started.pids.server ?? 0;
    const cpuBefore = cpuMs(pid);
    const from = Number(process.hrtime.bigint() / 1000n);
    [round] = await load(run, name, request, 1, { label: name, warmupSeconds: 0, durationSeconds: seconds });
    const to = Number(process.hrtime.bigint() / 1000n);
    const cpuAfter = cpuMs(pid);
    window = { from, to };
    if (!round || round.totalRequests === 0) throw new Error('the load generator got no answer');
    if (cpuBefore !== null && cpuAfter !== null)
      processMicros = ((cpuAfter - cpuBefore) * 1000) / round.totalRequests;
  } finally {
    await started.stop();
  }
  if (!round || !window) throw new Error('no measured window');
  const { file, profile } = await readProfile(dir);
  const analysed = analyse(profile, window, round.totalRequests, intervalMicros);
  return {
    size,
    requests: round.totalRequests,
    requestsPerSecond: Math.round(round.requestsPerSecond),
    p50Ms: round.p50Ms,
    p99Ms: round.p99Ms,
    failed: round.non2xx + round.errors + round.timeouts + round.graphqlErrors,
    sampleIntervalMicros: intervalMicros,
    processMicrosPerRequest: processMicros === null ? null : Math.round(processMicros * 10) / 10,
    profileFile: path.relative(repoRoot, file),
    window,
    ...analysed,
  };
}

/** The markdown table: µs per request by stage, each size (and the baseline's, when given). */
function stageTable(results: readonly SizeResult[], baseline: readonly SizeResult[] | undefined): string {
  const columns: { title: string; result: SizeResult }[] = [];
  for (const result of results) {
    const before = baseline?.find((b) => b.size === result.size);
    if (before) columns.push({ title: `first ${result.size} before`, result: before });
    columns.push({ title: `first ${result.size}${before ? ' after' : ''}`, result });
  }
  const cell = (r: SizeResult, key: string) => {
    const stage = r.stages.find((s) => s.key === key);
    if (!stage) return 'n/a';
    return stage.cpuShare === null
      ? `${stage.microsPerRequest}`
      : `${stage.microsPerRequest} (${Math.round(stage.cpuShare * 100)}%)`;
  };
  const keys = [...STAGES.map((s) => s.key), 'other'].filter((k) => k !== 'idle');
  const labels = new Map<string, string>([
    ...STAGES.map((s) => [s.key, s.label] as const),
    ['other', 'other (no rule matched)'],
  ]);
  const lines = [
    `| µs per request (share of CPU) | ${columns.map((c) => c.title).join(' | ')} |`,
    `| --- | ${columns.map(() => '---:').join(' | ')} |`,
    ...keys.map((key) => `| ${labels.get(key)} | ${columns.map((c) => cell(c.result, key)).join(' | ')} |`),
    `| **CPU in the profile (main thread)** | ${columns.map((c) => `**${c.result.profiledMicrosPerRequest}**`).join(' | ')} |`,
    `| process CPU from /proc (all threads) | ${columns.map((c) => `${c.result.processMicrosPerRequest ?? 'n/a'}`).join(' | ')} |`,
    `| idle | ${columns.map((c) => cell(c.result, 'idle')).join(' | ')} |`,
    `| stalled (gaps over 4 sample intervals: waiting for a CPU) | ${columns.map((c) => `${c.result.stalledMicrosPerRequest ?? 'n/a'}`).join(' | ')} |`,
    `| requests in the window | ${columns.map((c) => `${c.result.requests}`).join(' | ')} |`,
    `| req/s, p50 / p99 ms (profiler on) | ${columns.map((c) => `${c.result.requestsPerSecond}, ${c.result.p50Ms} / ${c.result.p99Ms}`).join(' | ')} |`,
    `| parsed document cached | ${columns.map((c) => (c.result.documentCached ? 'yes' : 'no')).join(' | ')} |`,
  ];
  return lines.join('\n');
}

function functionTable(title: string, list: readonly FunctionResult[]): string {
  return [
    `${title}`,
    '',
    '| µs/request | share | function | where | stage |',
    '| ---: | ---: | --- | --- | --- |',
    ...list.map(
      (f) =>
        `| ${f.microsPerRequest} | ${(f.cpuShare * 100).toFixed(1)}% | \`${f.name}\` | ${f.where} | ${f.stage} |`,
    ),
  ].join('\n');
}

async function prepare(settings: Settings): Promise<Run> {
  const databaseServer = await resolveDatabaseServer();
  const database = await ensureBenchDatabase(
    databaseServer.adminUrl,
    settings.databaseName,
    settings.contacts,
  );
  const [version] = await queryRows<{ server_version: string }>(database.url, 'show server_version');
  const identity = await startIdentityProvider();
  onCleanup(() => identity.close());
  return {
    settings,
    startedAt: new Date(),
    databaseServer,
    database,
    // BENCH_BASELINE_DIR's subgraph (`change-before`) serves the bench database itself, next to this one.
    baselineDatabase: settings.baselineDir === undefined ? undefined : database,
    scaleDatabase: undefined,
    postgresVersion: version?.server_version ?? 'unknown',
    identity,
    entityIds: [],
    warnings: [],
    sqlCounts: {},
    reference: new Map(),
    spec: (name) => SERVERS[name],
  };
}

async function main(): Promise<void> {
  const settings = readSettings();
  const seconds = env('PROFILE_SECONDS', 10);
  const interval = env('PROFILE_INTERVAL_US', 500);
  const baselineFile = process.env.PROFILE_BASELINE?.trim();
  const baseline = baselineFile
    ? (JSON.parse(await readFile(path.resolve(baselineFile), 'utf8')) as { sizes: SizeResult[] }).sizes
    : undefined;
  pinning();
  const run = await prepare(settings);
  const stamp = run.startedAt.toISOString().replace(/[:.]/g, '-');
  // With BENCH_BASELINE_DIR: that build's subgraph (the change section's `change-before`, on this database) too,
  // profiled next to this one at each size, in alternating order: a before/after under the same conditions.
  const compared = settings.baselineDir !== undefined;
  const results: SizeResult[] = [];
  const before: SizeResult[] = [];
  for (const [index, size] of settings.sizes.entries()) {
    const dir = path.join(benchDir, 'results', 'profiles', stamp, `first-${size}`);
    const names = !compared
      ? (['custos'] as const)
      : index % 2 === 0
        ? (['change-before', 'custos'] as const)
        : (['custos', 'change-before'] as const);
    for (const name of names) {
      const result = await profileSize(run, name, size, path.join(dir, name), seconds, interval);
      (name === 'custos' ? results : before).push(result);
    }
  }
  const table = stageTable(results, compared ? before : baseline);
  console.log(`\n${table}\n`);
  for (const result of results) {
    console.log(functionTable(`Top self time, first ${result.size} (${result.profileFile})`, result.topSelf));
    console.log('');
    if (result.otherTop.length) {
      console.log(functionTable(`Largest frames of "other", first ${result.size}`, result.otherTop));
      console.log('');
    }
  }
  const json = {
    startedAt: run.startedAt.toISOString(),
    node: process.version,
    postgres: run.postgresVersion,
    contacts: settings.contacts,
    connections: settings.connections,
    nodeFlags: NODE_FLAGS,
    seconds,
    warmupSeconds: settings.warmupSeconds,
    pinned: pinning(),
    stageRules: STAGES.map(({ key, label, rules }) => ({
      key,
      label,
      rules: rules.map((rule) => ({ url: rule.url?.source, fn: rule.fn?.source })),
    })),
    sizes: results,
    ...(compared ? { baselineDir: settings.baselineDir, baselineSizes: before } : {}),
    table,
  };
  const resultsDir = path.join(benchDir, 'results');
  const text = `${JSON.stringify(json, null, 2)}\n`;
  const file = path.join(resultsDir, `profile-${stamp}.json`);
  await writeFile(file, text);
  await writeFile(path.join(resultsDir, 'profile-latest.json'), text);
  console.log(`wrote ${path.relative(repoRoot, file)} and bench/results/profile-latest.json`);
}

installExitHandlers();
try {
  await main();
} catch (error) {
  console.error(`\nprofile failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
process.exit(process.exitCode ?? 0);
