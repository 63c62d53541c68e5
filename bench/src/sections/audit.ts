// Audit cost (issue 6): the same subgraph in NODE_ENV=test (the config refuses AUDIT_ENABLED=0 in production),
// policy enforced, once without and once with the audit trail, measured side by side. Both have their SQL
// statements per request counted (the writer held back so that only the request path is seen), and after each page
// size's rounds the audit events stored for audit-on's rounds are counted against the requests they answered: the
// writer must keep up and lose nothing. Goal: auditing keeps at least 0.90x of the throughput, with no extra SQL
// statement on the request path and no event lost.
import type { Run } from '../context.js';
import { queryRows } from '../database.js';
import { sleep } from '../loopback.js';
import { loadTag, type PairOptions } from '../measure.js';
import { METRIC_HEADER, metricCells, pairText, printTable, queryTitle, verdict } from '../report.js';
import type { Case } from '../requests.js';
import { pairRatio, perSize } from '../rows.js';
import { custosServer } from '../servers.js';
import { formatSql, type SqlPerRequest } from '../sql-count.js';
import { BENCH_SUBJECT } from '../tokens.js';
import type { Section } from './section.js';

const AUDIT_GOAL = 0.9;

/** One page size's audit events, stored against the requests audit-on's rounds answered. */
interface EventCheck {
  readonly size: number;
  readonly answered: number;
  readonly storedAfterOneSecond: number;
  readonly stored: number;
  readonly secondsUntilStored: number | null;
  readonly inFlightAllowance: number;
  readonly auditOffEvents: number;
  readonly goalMet: boolean;
}

type CpuPerRequest = Readonly<Record<string, number | null>> | null;

/**
 * Where the audit trail's cost lands, per request: the subgraph's CPU (its writer runs in the same process) and
 * PostgreSQL's (the batches' inserts), audit on against off, when both were measured.
 */
function cpuLine(off: CpuPerRequest, on: CpuPerRequest): string {
  const ms = (value: number | null | undefined) => (value == null ? '-' : `${value.toFixed(3)} ms`);
  const plus = (a: number | null | undefined, b: number | null | undefined) =>
    a == null || b == null ? '-' : `${b - a >= 0 ? '+' : ''}${((b - a) * 1000).toFixed(0)} µs`;
  return (
    `CPU per request (medians of the rounds): audit off: subgraph ${ms(off?.server)}, PostgreSQL ` +
    `${ms(off?.postgres)}; audit on: subgraph ${ms(on?.server)}, PostgreSQL ${ms(on?.postgres)} ` +
    `(the trail: ${plus(off?.server, on?.server)} in the subgraph, ${plus(off?.postgres, on?.postgres)} in PostgreSQL)`
  );
}

/** Two SQL counts (formatSql's input) are the same: a number, or the same min and max. */
const sameSql = (a: SqlPerRequest | null | undefined, b: SqlPerRequest | null | undefined) =>
  a != null && b != null && JSON.stringify(a) === JSON.stringify(b);

/**
 * The bench token's audit events of this run: how many name one of `tags` as their gateway request id, and how
 * many name any tag starting with `prefix`.
 */
async function countTaggedAuditEvents(run: Run, tags: readonly string[], prefix: string) {
  const [counts] = await queryRows<{ tagged: number; prefixed: number }>(
    run.database.url,
    `select count(*) filter (where gateway_request_id = any($3::text[]))::int as tagged,
            count(*) filter (where starts_with(gateway_request_id, $4))::int as prefixed
       from audit_event where actor_sub = $1 and occurred_at >= $2`,
    [BENCH_SUBJECT, run.startedAt.toISOString(), tags, prefix],
  );
  return counts ?? { tagged: 0, prefixed: 0 };
}

/**
 * After one page size's rounds of the pair, both servers still running: did the writer keep up and lose nothing?
 * Every load process of the pair sends its own `x-request-id` (measurePair's tagLoads), which the subgraph keeps in
 * its events (gateway_request_id), so the events of audit-on's measured rounds are counted exactly (warm-ups and
 * verifying requests apart) and compared with the requests those rounds answered, one second (five flush
 * intervals) after the last round. A request still in flight when a load process stopped is audited but not
 * answered to the load generator: up to `connections` more events than answers per round are expected; fewer
 * would be a loss (or a 503 AUDIT_UNAVAILABLE, which the rounds also count as failed). When some are missing after
 * that second, waits up to 30 s more to tell a slow writer from a loss. audit-off's load processes (warm-up and
 * rounds) must leave no event: the switch is in effect.
 */
function eventChecker(run: Run, checks: EventCheck[]): PairOptions['afterCase'] {
  return async (item: Case, rounds, roundTags) => {
    if (item.kind !== 'list') return;
    const settleStarted = Date.now();
    await sleep(1_000);
    const onTags = roundTags.get('audit-on') ?? [];
    const offPrefix = `${loadTag(run, 'audit-off', item)}.`;
    const answered = (rounds.get('audit-on') ?? []).reduce((total, round) => total + round.totalRequests, 0);
    const first = await countTaggedAuditEvents(run, onTags, offPrefix);
    let stored = first.tagged;
    while (stored < answered && Date.now() - settleStarted < 31_000) {
      await sleep(500);
      stored = (await countTaggedAuditEvents(run, onTags, offPrefix)).tagged;
    }
    const inFlightAllowance = run.settings.connections * onTags.length;
    const check: EventCheck = {
      size: item.size,
      answered,
      storedAfterOneSecond: first.tagged,
      stored,
      secondsUntilStored: stored >= answered ? Math.round((Date.now() - settleStarted) / 100) / 10 : null,
      inFlightAllowance,
      auditOffEvents: first.prefixed,
      goalMet: first.tagged >= answered && stored - answered <= inFlightAllowance && first.prefixed === 0,
    };
    checks.push(check);
    console.log(
      `audit events for audit-on's rounds at ${item.key}: ${stored.toLocaleString('en-US')} stored for ` +
        `${answered.toLocaleString('en-US')} requests answered (${check.storedAfterOneSecond.toLocaleString('en-US')} ` +
        `1 s after the last round); audit-off: ${check.auditOffEvents}`,
    );
    if (check.auditOffEvents > 0) {
      run.warnings.push(
        `audit-off at ${item.key}: audit events stored while AUDIT_ENABLED=0 (switch not in effect?)`,
      );
    }
  };
}

export const audit: Section<'audit-off' | 'audit-on'> = {
  servers: ['audit-off', 'audit-on'],
  together: 'all',
  // The same subgraph, token and purpose, outside production because the config refuses AUDIT_ENABLED=0 in
  // production; the policy enforced in both. Only the audit trail differs between the two. The measured audit-on
  // flushes at the default interval (AUDIT_FLUSH_MS, 200 ms, or at 500 events); the one whose SQL statements are
  // counted holds its batches back (countStatements).
  specs: {
    'audit-off': {
      ...custosServer('custos, audit off (NODE_ENV=test)', {
        NODE_ENV: 'test',
        CUSTOS_POLICY_ALLOW_ALL: '0',
        AUDIT_ENABLED: '0',
      }),
      countSql: true,
    },
    'audit-on': {
      ...custosServer('custos, audit on (NODE_ENV=test)', {
        NODE_ENV: 'test',
        CUSTOS_POLICY_ALLOW_ALL: '0',
        AUDIT_ENABLED: '1',
      }),
      countSql: true,
    },
  },
  open: (run) => {
    /** Per page size: audit events stored for audit-on's rounds against the requests they answered. */
    const eventChecks: EventCheck[] = [];
    return {
      pairOptions: { tagLoads: true, afterCase: eventChecker(run, eventChecks) },
      finish(rows) {
        const comparisons = perSize(rows, run.settings.sizes, ['audit-off', 'audit-on'], (off, on, size) => {
          const onOverOff = pairRatio(on, off);
          const sql = { off: off.sqlStatementsPerRequest ?? null, on: on.sqlStatementsPerRequest ?? null };
          return {
            size,
            off: off.requestsPerSecond,
            on: on.requestsPerSecond,
            // Judged: the median of the round pairs' ratios (the fair protocol); the ratio of the medians beside it.
            onOverOff: onOverOff.value,
            onOverOffOfMedians: onOverOff.ofMedians,
            roundPairRatios: onOverOff.roundPairs,
            judged: onOverOff,
            goalMet: off.valid && on.valid && onOverOff.value !== null && onOverOff.value >= AUDIT_GOAL,
            sqlPerRequest: sql,
            sqlGoalMet: sql.off === null || sql.on === null ? null : sameSql(sql.off, sql.on),
            events: eventChecks.find((check) => check.size === size) ?? null,
            // Medians of the rounds, per process: the subgraph (`server`) and PostgreSQL (`postgres`, when local).
            cpuMsPerRequest: { off: off.cpuMsPerRequest ?? null, on: on.cpuMsPerRequest ?? null },
          };
        });
        const all = (decided: readonly (boolean | null)[]) =>
          decided.length === 0 || decided.includes(null) ? null : decided.every(Boolean);
        const report = {
          mode:
            'Custos in NODE_ENV=test (the config refuses AUDIT_ENABLED=0 in production), policy enforced, support_agent ' +
            'token, X-Purpose: customer_support; audit-off: AUDIT_ENABLED=0; audit-on: AUDIT_ENABLED=1, default flush ' +
            '(AUDIT_FLUSH_MS 200 ms or 500 events); the SQL-counted instances: AUDIT_FLUSH_MS=60000; every load ' +
            "process sends its own x-request-id (kept as the events' gateway_request_id), the same for both variants",
          goal:
            `audit-on >= ${AUDIT_GOAL} x audit-off req/s at every size; the same SQL statements per request (none ` +
            'added on the request path); every answered request audited, stored within 1 s of the last round',
          rounds: run.settings.rounds,
          results: rows,
          comparisons,
          goalMet: all(comparisons.map((c) => c.goalMet)),
          sqlGoalMet: all(comparisons.map((c) => c.sqlGoalMet)),
          eventsGoalMet: all(comparisons.map((c) => c.events?.goalMet ?? null)),
          sqlStatements: { off: run.sqlCounts['audit-off'] ?? null, on: run.sqlCounts['audit-on'] ?? null },
        };
        if (comparisons.length > 0) {
          console.log(
            '\nAudit trail: the same page with auditing off and on (NODE_ENV=test, policy enforced)',
          );
          printTable(
            ['query', 'server', ...METRIC_HEADER, 'SQL/req'],
            rows.map((row) => [
              queryTitle(row),
              row.label,
              ...metricCells(row),
              formatSql(row.sqlStatementsPerRequest),
            ]),
            2,
          );
          console.log('');
          for (const c of comparisons) {
            console.log(
              `first=${c.size}: audit off ${c.off}, audit on ${c.on}, on/off ${pairText(c.judged)}, ` +
                `goal (>= ${AUDIT_GOAL.toFixed(2)}x) ${verdict(c.goalMet)}`,
            );
            console.log(
              `first=${c.size}: SQL/req off ${formatSql(c.sqlPerRequest.off)}, on ${formatSql(c.sqlPerRequest.on)} ` +
                `(request path; goal: no extra statement) ${verdict(c.sqlGoalMet)}`,
            );
            const cpu = c.cpuMsPerRequest;
            console.log(`first=${c.size}: ${cpuLine(cpu.off, cpu.on)}`);
            const e = c.events;
            console.log(
              e
                ? `first=${c.size}: audit events stored ${e.stored.toLocaleString('en-US')} for ` +
                    `${e.answered.toLocaleString('en-US')} requests answered in audit-on's rounds (1 s after: ` +
                    `${e.storedAfterOneSecond.toLocaleString('en-US')}; up to ${e.inFlightAllowance} more expected from ` +
                    `requests in flight when a round stopped; audit-off: ${e.auditOffEvents}), ` +
                    `goal (no loss, stored within 1 s) ${verdict(e.goalMet)}`
                : `first=${c.size}: audit events not counted`,
            );
          }
          console.log(
            `audit goal (audit-on >= ${AUDIT_GOAL.toFixed(2)} x audit-off req/s at every size): ${verdict(report.goalMet)}; ` +
              `SQL goal ${verdict(report.sqlGoalMet)}; events goal ${verdict(report.eventsGoalMet)}`,
          );
        }
        return {
          json: { audit: report },
          goals: [report.goalMet, report.sqlGoalMet, report.eventsGoalMet],
        };
      },
    };
  },
};
