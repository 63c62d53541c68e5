// A result row (one server at one case: medians over its rounds) and the arithmetic the sections compare rows with.
import type { LoadRound } from './load-types.js';
import type { Case } from './requests.js';
import type { ServerSpec } from './servers.js';
import type { ServerName } from './settings.js';
import type { SqlPerRequest } from './sql-count.js';
import type { VerifiedPage } from './verify.js';

/** A measured round; in a pair, with each process's CPU ms per answered request (`server`, and `front`). */
export interface MeasuredRound extends LoadRound {
  readonly cpuMsPerRequest?: Readonly<Record<string, number>>;
  /** In a pair with a beforeRound hook: how long the hook ran before this round (ms; not part of the round). */
  readonly beforeRoundMs?: number;
}

export interface Failures {
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly graphqlErrors: number;
}

export interface Row {
  readonly server: ServerName;
  readonly label: string;
  /** Enforcement rows only: which query. */
  readonly query?: 'contacts' | '_entities';
  /** List rows: the page size. */
  readonly size?: number;
  /** `_entities` rows: the representations per request. */
  readonly representations?: number;
  readonly redactionsPerResponse?: number;
  readonly requestsPerSecond: number;
  readonly cpuMsPerRequest?: Readonly<Record<string, number | null>>;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  readonly responseBytes: number;
  readonly failures: Failures;
  readonly valid: boolean;
  readonly rounds: readonly MeasuredRound[];
  /** Servers whose SQL is counted: per request, null when the count failed. */
  readonly sqlStatementsPerRequest?: SqlPerRequest | null;
}

/** Median of the numbers among `values` (a round without a 2xx answer has no latency); null when none. */
export function median(values: readonly (number | null | undefined)[]): number | null {
  const sorted = values.filter((value): value is number => typeof value === 'number').sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? null)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

/** The rounds' median CPU ms per request, per process role, when measured (measurePair). */
function cpuSummary(rounds: readonly MeasuredRound[]): Pick<Row, 'cpuMsPerRequest'> {
  const roles = [...new Set(rounds.flatMap((round) => Object.keys(round.cpuMsPerRequest ?? {})))];
  if (roles.length === 0) return {};
  return {
    cpuMsPerRequest: Object.fromEntries(
      roles.map((role) => [role, median(rounds.map((round) => round.cpuMsPerRequest?.[role]))]),
    ),
  };
}

/** One result row: medians over the rounds, failures summed over them. */
export function summarise(
  name: ServerName,
  server: ServerSpec,
  item: Case,
  rounds: readonly MeasuredRound[],
  verified: VerifiedPage,
): Row {
  const sum = (key: keyof Failures) => rounds.reduce((total, round) => total + round[key], 0);
  const failures: Failures = {
    non2xx: sum('non2xx'),
    errors: sum('errors'),
    timeouts: sum('timeouts'),
    graphqlErrors: sum('graphqlErrors'),
  };
  return {
    server: name,
    label: server.label,
    ...(item.kind === 'entities'
      ? { query: '_entities', representations: item.ids.length }
      : server.entities
        ? { query: 'contacts', size: item.size }
        : { size: item.size }),
    ...(server.entities ? { redactionsPerResponse: verified.redactions } : {}),
    requestsPerSecond: Math.round(median(rounds.map((round) => round.requestsPerSecond)) ?? 0),
    ...cpuSummary(rounds),
    p50Ms: median(rounds.map((round) => round.p50Ms)),
    p99Ms: median(rounds.map((round) => round.p99Ms)),
    responseBytes: verified.bytes,
    failures,
    valid: Object.values(failures).every((count) => count === 0),
    rounds,
  };
}

/** The rows sorted by `rank` (the query), then by their server's place in `servers` (a section's table order). */
export function sortRows(
  rows: readonly Row[],
  rank: (row: Row) => number,
  servers: readonly ServerName[],
): Row[] {
  return [...rows].sort((a, b) => rank(a) - rank(b) || servers.indexOf(a.server) - servers.indexOf(b.server));
}

/** req/s of `a` over `b`, rounded to 0.01; null unless both were measured. */
export const ratio = (a: Row | undefined, b: Row | undefined): number | null =>
  a && b ? Math.round((a.requestsPerSecond / b.requestsPerSecond) * 100) / 100 : null;

/** A pair's ratio as judged, with what it is made of. */
export interface PairRatio {
  /** The median of the round-pair ratios; the ratio of the medians when there are no pairs. */
  readonly value: number | null;
  readonly roundPairs: readonly number[];
  readonly ofMedians: number | null;
}

/**
 * The headline ratio of `a` over `b` measured side by side (issue 16's fair protocol): the median of the ratios
 * of their round pairs — round i of each ran next to the other's, so a slow minute of a shared machine falls on
 * both — and, beside it for reference, the ratio of their medians, which such a minute in one server's round moves.
 */
export function pairRatio(a: Row | undefined, b: Row | undefined): PairRatio {
  const pairs = roundPairs(a, b);
  const ofMedians = ratio(a, b);
  const middle = median(pairs);
  return {
    value: middle === null ? ofMedians : Math.round(middle * 100) / 100,
    roundPairs: pairs,
    ofMedians,
  };
}

/**
 * `metric` (req/s by default) of round i of `a` over round i of `b`, for every round both have it; rounded to
 * 0.01. In a pair the rounds alternate, so round i of each ran next to the other's.
 */
export function roundPairs(
  a: Row | undefined,
  b: Row | undefined,
  metric: 'requestsPerSecond' | 'p50Ms' | 'p99Ms' = 'requestsPerSecond',
): number[] {
  if (!a || !b) return [];
  return a.rounds.flatMap((round, i) => {
    const x = round[metric];
    const y = b.rounds[i]?.[metric];
    return typeof x === 'number' && x > 0 && typeof y === 'number' && y > 0
      ? [Math.round((x / y) * 100) / 100]
      : [];
  });
}

/** Per page size at which both `first` and `second` have a row: `compare(firstRow, secondRow, size)`. */
export function perSize<T>(
  rows: readonly Row[],
  sizes: readonly number[],
  [first, second]: readonly [ServerName, ServerName],
  compare: (a: Row, b: Row, size: number) => T,
): T[] {
  return sizes.flatMap((size) => {
    const find = (name: ServerName) => rows.find((row) => row.server === name && row.size === size);
    const a = find(first);
    const b = find(second);
    return a && b ? [compare(a, b, size)] : [];
  });
}
