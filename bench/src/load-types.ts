// What the harness sends the load generator (load.ts) on stdin, and what it prints back on stdout.
import type { BenchRequest } from './requests.js';

export interface LoadConfig extends BenchRequest {
  readonly connections: number;
  readonly warmupSeconds: number;
  readonly durationSeconds: number;
  readonly rounds: number;
  /**
   * Bodies sent in turn instead of `body` (request i of this process sends bodies[i % length], whichever connection
   * sends it): the public endpoint's emails.
   */
  readonly bodies?: readonly string[];
  /** `X-Forwarded-For` values sent in turn, the same way (the clients a trusted proxy would name). */
  readonly forwardedFor?: readonly string[];
  /** For progress lines only: printed before each line. */
  readonly label?: string;
  /** For progress lines only, when the harness measures one round per process: "round 3/5". */
  readonly firstRound?: number;
  readonly totalRounds?: number;
}

/** One measured round. Latencies are milliseconds, of 2xx responses only (as autocannon's). */
export interface LoadRound {
  readonly requestsPerSecond: number;
  readonly totalRequests: number;
  readonly durationSeconds: number;
  readonly p50Ms: number | null;
  readonly p90Ms: number | null;
  readonly p99Ms: number | null;
  readonly maxMs: number | null;
  /** autocannon's own percentiles, whole milliseconds, for comparison with other autocannon runs. */
  readonly autocannonP50Ms: number;
  readonly autocannonP99Ms: number;
  readonly bytesPerSecond: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly graphqlErrors: number;
}

export interface LoadOutput {
  readonly rounds: readonly LoadRound[];
}
