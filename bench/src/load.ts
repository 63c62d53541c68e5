// Load generator: one autocannon warm-up, then N measured rounds against one server and one request. The harness
// starts this as its own process pinned to a core other than the server's, so the load generator never competes
// with the server for CPU.
//
// Usage: echo '<json>' | node bench/dist/load.js, where json is a LoadConfig (load-types.ts):
//   { url, method, headers, body, connections, warmupSeconds, durationSeconds, rounds }
// and, optionally, for progress lines only: label (printed before each line), firstRound and totalRounds (when
// the harness measures one round per process, alternating two servers: "round 3/5").
// The request comes on stdin, not argv, because its headers hold a bearer token and argv is public (`ps`).
// Prints one JSON object on stdout: { rounds: [{ requestsPerSecond, p50Ms, p99Ms, ... }] }. Progress goes to stderr.
import autocannon from 'autocannon';
import type { LoadConfig, LoadOutput, LoadRound } from './load-types.js';

const chunks: Buffer[] = [];
for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
const config: Partial<LoadConfig> | null = JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null');
if (!config?.url) {
  console.error('usage: echo \'{"url": ...}\' | node bench/dist/load.js');
  process.exit(2);
}
const url = config.url;

/**
 * A GraphQL error answer is HTTP 200 for most servers, so status codes alone would let a server "win" by failing
 * fast. Every response body is checked for a top-level-looking `"errors":` key; autocannon counts failures as
 * `mismatches`. (Inside a JSON string a quote is escaped, so data can never contain the sequence `"errors":`.)
 */
const verifyBody = (body: string) => !body.includes('"errors":');

/**
 * Request i of this process (warm-up and rounds counted together) takes bodies[i % length] and forwardedFor[i %
 * length], when given; otherwise every request is the same. autocannon calls setupRequest before each request.
 */
let sent = 0;
const bodies = config.bodies?.length ? config.bodies : undefined;
const forwarded = config.forwardedFor?.length ? config.forwardedFor : undefined;
const varied =
  bodies || forwarded
    ? {
        requests: [
          {
            setupRequest: (request: autocannon.Request): autocannon.Request => {
              const i = sent++;
              return {
                ...request,
                ...(bodies ? { body: bodies[i % bodies.length] } : {}),
                ...(forwarded
                  ? {
                      headers: {
                        ...request.headers,
                        'x-forwarded-for': forwarded[i % forwarded.length] ?? '',
                      },
                    }
                  : {}),
              };
            },
          },
        ],
      }
    : {};

/**
 * One autocannon run; resolves to autocannon's result plus the exact latencies (ms) of its 2xx responses.
 * autocannon's own histogram keeps whole milliseconds, too coarse for a 2 ms p50, so the 'response' event's
 * float duration is recorded here as well.
 */
async function cannon(durationSeconds: number) {
  const latencies: number[] = [];
  const instance = autocannon({
    url,
    method: config?.method ?? 'POST',
    headers: { ...config?.headers },
    body: config?.body,
    connections: config?.connections ?? 10,
    pipelining: 1,
    duration: durationSeconds,
    timeout: 10,
    verifyBody,
    ...varied,
  });
  instance.on('response', (_client, statusCode, _bytes, responseTimeMs) => {
    if (statusCode >= 200 && statusCode < 300) latencies.push(responseTimeMs);
  });
  const result = await instance;
  return { result, latencies: Float64Array.from(latencies).sort() };
}

/** The q-quantile (0..1) of sorted values, nearest-rank; rounded to 0.01 ms. */
function quantile(sorted: Float64Array, q: number): number | null {
  if (sorted.length === 0) return null;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return Math.round((sorted[index] ?? 0) * 100) / 100;
}

/** The fields the harness reports. Latencies are milliseconds, of 2xx responses only (as autocannon's). */
function summarise({ result, latencies }: Awaited<ReturnType<typeof cannon>>): LoadRound {
  return {
    requestsPerSecond: result.requests.average,
    totalRequests: result.requests.total,
    durationSeconds: result.duration,
    p50Ms: quantile(latencies, 0.5),
    p90Ms: quantile(latencies, 0.9),
    p99Ms: quantile(latencies, 0.99),
    maxMs: quantile(latencies, 1),
    autocannonP50Ms: result.latency.p50,
    autocannonP99Ms: result.latency.p99,
    bytesPerSecond: result.throughput.average,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    graphqlErrors: result.mismatches,
  };
}

const warmupSeconds = config.warmupSeconds ?? 3;
const durationSeconds = config.durationSeconds ?? 5;
const roundCount = config.rounds ?? 3;
const label = config.label ? `${config.label} ` : '';
const firstRound = config.firstRound ?? 1;
const totalRounds = config.totalRounds ?? roundCount;

if (warmupSeconds > 0) {
  const warmup = summarise(await cannon(warmupSeconds));
  console.error(`  ${label}warm-up ${warmupSeconds}s: ${Math.round(warmup.requestsPerSecond)} req/s`);
}
const rounds: LoadRound[] = [];
for (let i = 0; i < roundCount; i++) {
  const round = summarise(await cannon(durationSeconds));
  console.error(
    `  ${label}round ${firstRound + i}/${totalRounds}: ${Math.round(round.requestsPerSecond)} req/s, ` +
      `p50 ${round.p50Ms} ms, p99 ${round.p99Ms} ms`,
  );
  rounds.push(round);
}
const output: LoadOutput = { rounds };
process.stdout.write(`${JSON.stringify(output)}\n`);
