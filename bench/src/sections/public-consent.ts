// The public consent endpoint (POST /public/consent): requests/s and latency for emails of existing contacts
// (known) and for emails in no contact (unknown), measured in alternating rounds on the same server with the same
// load. The endpoint answers 202 to both; if the time it takes told them apart, it would be a membership oracle —
// what shows here as a gap between the two p50s.
import type { Run } from '../context.js';
import { deleteRowsAndJobs, queryRows } from '../database.js';
import type { LoadConfig, LoadRound } from '../load-types.js';
import { load } from '../measure.js';
import { cpuMs } from '../processes.js';
import { fmt, printTable, spreadOf } from '../report.js';
import type { BenchRequest } from '../requests.js';
import { type MeasuredRound, median } from '../rows.js';
import { custosServer, PRODUCTION, type ServerSpec, startServer } from '../servers.js';
import { measuredAlone } from './section.js';

/** What every request posts, apart from the email: a refusal (no confirmation mail), marketing. */
const POSTED = { purpose: 'marketing', status: 'DENIED', source: 'bench' } as const;

/** The limit's maximum (packages/runtime config.ts): requests per minute per client address. */
const RATE_LIMIT_PER_MINUTE = 100_000;

/**
 * The clients a trusted proxy names in `X-Forwarded-For`, one per request in turn: 4,096 addresses of the
 * benchmarking range 198.18.0.0/15 (RFC 2544), so that no client's budget nor its row in the limiter's table is hot.
 */
const FORWARDED_FOR = Array.from({ length: 4096 }, (_, i) => `198.18.${i >> 8}.${i & 255}`);

/**
 * The subgraph as deployed (production), behind a trusted proxy on loopback (its X-Forwarded-For names the client),
 * with the public rate limit at its maximum: the limiter still runs for every request, but never refuses one here.
 */
const spec = ((base: ServerSpec): ServerSpec => ({
  ...base,
  env: (context, upstreamPort) => ({
    ...base.env(context, upstreamPort),
    TRUSTED_PROXIES: '127.0.0.1/32,::1/128',
    PUBLIC_RATE_LIMIT_PER_MINUTE: String(RATE_LIMIT_PER_MINUTE),
  }),
}))(custosServer('custos, POST /public/consent', PRODUCTION));

type Kind = 'known' | 'unknown';
const KINDS: readonly Kind[] = ['known', 'unknown'];

interface KindResult {
  readonly emails: number;
  readonly requestsPerSecond: number;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  readonly failed: number;
  /** The subgraph process's CPU ms per answered request (median over rounds; PostgreSQL's not included). */
  readonly cpuMsPerRequest: number | null;
  readonly rounds: readonly MeasuredRound[];
}

interface PublicResult {
  readonly posted: typeof POSTED & { readonly noticeVersion: string };
  readonly rateLimitPerMinute: number;
  readonly forwardedAddresses: number;
  readonly connections: number;
  readonly known: KindResult;
  readonly unknown: KindResult;
  /** p50 of unknown over p50 of known (medians over rounds): near 1 when the answer does not tell them apart. */
  readonly unknownOverKnownP50: number | null;
  /** The same per round pair (round i of each). */
  readonly roundPairP50Ratios: readonly number[];
  readonly unknownOverKnownRequestsPerSecond: number | null;
  /**
   * Submissions whose job had not run when the server stopped (then deleted with their jobs): the job workers run
   * in the measured process, so the lookups of part of the load were done during the rounds, of the rest never.
   */
  readonly unprocessedSubmissions: number;
}

/**
 * Deletes the submissions the bench posted (`source: "bench"`) that are still waiting for their
 * `consent.submission` job, and those jobs: the endpoint answers before the job looks anyone up, so the load
 * leaves a backlog, which the next subgraph started on this database (any section's) would otherwise work
 * through while it is measured. Their number.
 */
const cleanSubmissions = (run: Run): Promise<number> =>
  deleteRowsAndJobs(
    run.database.url,
    { table: 'consent_submission', where: 'source = $1', values: [POSTED.source] },
    { queues: ['consent.submission', 'consent.submission.dead'], key: 'submissionId' },
  );

const round2 = (value: number): number => Math.round(value * 100) / 100;
const failedIn = (round: LoadRound): number =>
  round.non2xx + round.errors + round.timeouts + round.graphqlErrors;

/**
 * The posted bodies of each kind. Known: emails of live contacts, each the only contact with it (one contact per
 * request), whose marketing consent is neither GRANTED nor OBJECTED, so that recording DENIED again changes no
 * state another section reads (the consent section's marketing rows). Unknown: addresses in no contact.
 */
async function bodiesOf(run: Run, noticeVersion: string): Promise<Record<Kind, string[]>> {
  const count = run.settings.publicEmails;
  const known = (
    await queryRows<{ email: string }>(
      run.database.url,
      `select c.email from contact c
        where c.erased_at is null and c.email is not null
          and not exists (select 1 from contact o where lower(o.email) = lower(c.email) and o.id <> c.id)
          and not exists (select 1 from consent_state s where s.contact_id = c.id and s.purpose = $2
            and s.status in ('GRANTED', 'OBJECTED'))
        order by c.id limit $1`,
      [count, POSTED.purpose],
    )
  ).map((row) => row.email);
  if (known.length < count) {
    throw new Error(`public endpoint: only ${known.length} contacts fit as known emails, ${count} asked`);
  }
  const unknown = Array.from({ length: count }, (_, i) => `bench-unknown-${i}@example.invalid`);
  const taken = await queryRows<{ n: number }>(
    run.database.url,
    'select count(*)::int as n from contact where lower(email) = any($1::text[])',
    [unknown],
  );
  if ((taken[0]?.n ?? 0) !== 0) throw new Error('public endpoint: an "unknown" email belongs to a contact');
  const body = (email: string) => JSON.stringify({ email, ...POSTED, noticeVersion });
  return { known: known.map(body), unknown: unknown.map(body) };
}

/** One answer of each kind before any load: 202 `{"status":"accepted"}`, or the run stops. */
async function verifyAnswers(request: BenchRequest, bodies: Record<Kind, string[]>): Promise<void> {
  for (const kind of KINDS) {
    const response = await fetch(request.url, {
      method: 'POST',
      headers: { ...request.headers, 'x-forwarded-for': '198.19.255.254' },
      body: bodies[kind][0] ?? '',
    });
    const text = await response.text();
    let status: unknown;
    try {
      status = (JSON.parse(text) as { status?: unknown }).status;
    } catch {
      status = undefined;
    }
    if (response.status !== 202 || status !== 'accepted') {
      throw new Error(
        `public endpoint, ${kind} email: HTTP ${response.status}, not 202 {"status":"accepted"}`,
      );
    }
  }
  console.log('verified public-consent: known 202 accepted, unknown 202 accepted');
}

function summarise(emails: number, rounds: readonly MeasuredRound[]): KindResult {
  return {
    emails,
    requestsPerSecond: Math.round(median(rounds.map((round) => round.requestsPerSecond)) ?? 0),
    p50Ms: median(rounds.map((round) => round.p50Ms)),
    p99Ms: median(rounds.map((round) => round.p99Ms)),
    failed: rounds.reduce((total, round) => total + failedIn(round), 0),
    cpuMsPerRequest: median(rounds.map((round) => round.cpuMsPerRequest?.server)),
    rounds,
  };
}

/**
 * Starts the server, checks one answer of each kind, then: a warm-up of each kind, and BENCH_ROUNDS rounds of each,
 * alternating (known unknown, unknown known, …) like the sections' pairs, each round its own load process with
 * BENCH_CONNECTIONS connections, every request the next email of its kind and the next forwarded client.
 */
async function measurePublic(run: Run): Promise<PublicResult> {
  const { settings } = run;
  console.log(`\n== ${spec.label}: known vs unknown emails ==`);
  const [notice] = await queryRows<{ version: string }>(
    run.database.url,
    'select version from privacy_notice where published_at <= now() order by published_at desc limit 1',
  );
  if (!notice) throw new Error('public endpoint: no published privacy notice in the bench database');
  const leftover = await cleanSubmissions(run);
  if (leftover > 0) console.log(`public endpoint: deleted ${leftover} submissions a previous run left`);
  const bodies = await bodiesOf(run, notice.version);
  const { port, pids, stop } = await startServer(run, 'public-consent', run.database.appUrl);
  let measured: Omit<PublicResult, 'unprocessedSubmissions'>;
  try {
    const request: BenchRequest = {
      url: `http://127.0.0.1:${port}/public/consent`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: bodies.known[0] ?? '',
    };
    await verifyAnswers(request, bodies);
    const options = (kind: Kind): Partial<LoadConfig> => ({
      label: kind,
      bodies: bodies[kind],
      forwardedFor: FORWARDED_FOR,
    });
    if (settings.warmupSeconds > 0) {
      for (const kind of KINDS) await load(run, 'public-consent', request, 0, options(kind));
    }
    const rounds: Record<Kind, MeasuredRound[]> = { known: [], unknown: [] };
    for (let round = 0; round < settings.rounds; round++) {
      for (const kind of round % 2 === 0 ? KINDS : [...KINDS].reverse()) {
        const before = pids.server === undefined ? null : cpuMs(pids.server);
        const [result] = await load(run, 'public-consent', request, 1, {
          ...options(kind),
          warmupSeconds: 0,
          firstRound: round + 1,
          totalRounds: settings.rounds,
        });
        if (!result) throw new Error(`load generator gave no round for ${kind} emails`);
        const after = pids.server === undefined ? null : cpuMs(pids.server);
        const cpu: Record<string, number> = {};
        if (before !== null && after !== null && result.totalRequests > 0) {
          cpu.server = Math.round(((after - before) / result.totalRequests) * 1000) / 1000;
        }
        rounds[kind].push({ ...result, cpuMsPerRequest: cpu });
      }
    }
    const known = summarise(bodies.known.length, rounds.known);
    const unknown = summarise(bodies.unknown.length, rounds.unknown);
    for (const kind of KINDS) {
      const failed = kind === 'known' ? known.failed : unknown.failed;
      if (failed > 0) run.warnings.push(`public endpoint: ${failed} ${kind}-email requests failed`);
    }
    measured = {
      posted: { ...POSTED, noticeVersion: notice.version },
      rateLimitPerMinute: RATE_LIMIT_PER_MINUTE,
      forwardedAddresses: FORWARDED_FOR.length,
      connections: settings.connections,
      known,
      unknown,
      unknownOverKnownP50: known.p50Ms && unknown.p50Ms !== null ? round2(unknown.p50Ms / known.p50Ms) : null,
      roundPairP50Ratios: rounds.unknown.flatMap((round, i) => {
        const other = rounds.known[i]?.p50Ms;
        return round.p50Ms !== null && other ? [round2(round.p50Ms / other)] : [];
      }),
      unknownOverKnownRequestsPerSecond:
        known.requestsPerSecond > 0 ? round2(unknown.requestsPerSecond / known.requestsPerSecond) : null,
    };
  } finally {
    await stop();
  }
  const unprocessedSubmissions = await cleanSubmissions(run);
  console.log(
    `public endpoint: deleted ${unprocessedSubmissions} submissions whose job had not run, and their jobs`,
  );
  return { ...measured, unprocessedSubmissions };
}

function print(result: PublicResult): void {
  console.log('');
  console.log(
    `Public consent endpoint: POST /public/consent (${result.posted.status} ${result.posted.purpose}), ` +
      `known vs unknown emails, ${result.connections} connections`,
  );
  printTable(
    ['emails', 'req/s', 'p50 ms', 'p99 ms', 'failed', 'CPU ms/req'],
    KINDS.map((kind) => {
      const row = result[kind];
      return [
        `${kind} (${row.emails.toLocaleString('en-US')})`,
        row.requestsPerSecond.toLocaleString('en-US'),
        row.p50Ms?.toFixed(2) ?? '-',
        row.p99Ms?.toFixed(2) ?? '-',
        String(row.failed),
        row.cpuMsPerRequest?.toFixed(2) ?? '-',
      ];
    }),
  );
  console.log(
    `\nunknown/known: p50 ${fmt(result.unknownOverKnownP50)}${spreadOf(result.roundPairP50Ratios)}, ` +
      `req/s ${fmt(result.unknownOverKnownRequestsPerSecond)}`,
  );
}

export const publicConsent = measuredAlone({
  name: 'public-consent',
  spec,
  key: 'publicConsent',
  measure: measurePublic,
  print,
});
