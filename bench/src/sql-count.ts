// SQL statements per request: counted on a separate instance of a server, behind a proxy that reads the
// PostgreSQL wire protocol (servers/sql-count-proxy.ts), never under load.
import type { Run } from './context.js';
import { type Case, requestFor, send } from './requests.js';
import { startSqlCountProxy } from './servers/sql-count-proxy.js';
import { type StartedServer, startServer } from './servers.js';
import type { ServerName } from './settings.js';

/** Statements per request: one number when every request ran as many, else the range. */
export type SqlPerRequest = number | { readonly min: number; readonly max: number };

export interface SqlCount {
  readonly requests: number;
  readonly statements: number;
  readonly perRequest: SqlPerRequest;
  /** Each distinct statement text (whitespace collapsed, cut at 2,000 characters) and how often it ran. */
  readonly texts: readonly { readonly count: number; readonly sql: string }[];
}

/** Per case key. */
export type SqlCounts = Record<string, SqlCount>;

/**
 * The SQL-counting instance's extra environment. The audit writer's own connections use the same DATABASE_URL, so
 * they too go through the counting proxy: its batches are held back for a minute (they are written at that
 * instance's shutdown, after the count), and the count shows the request path only. The writer's batch statements
 * run on its connections, off the request path; every measured instance flushes at the default interval.
 * (Without this, a flush falling between a request and its answer added its statements to that request's count.)
 */
const COUNT_ENV = { AUDIT_FLUSH_MS: '60000' };

/** A statement of the job queue's own schema (pg-boss): never a request's. */
const JOB_QUEUE = /\bpgboss\./;

/**
 * SQL statements per request, for one server and each of its cases: a separate instance of the server (same
 * settings) whose DATABASE_URL points at a counting proxy in front of PostgreSQL; per case, 3 unmeasured requests
 * (JIT, pool connection, plan cache), then `settings.sqlCountRequests` requests one at a time, each answer checked,
 * and the statements the proxy read between the request and its answer. One request at a time means the pool
 * reuses its open connection: nothing of a connection's setup is counted. The measured instance never sees the
 * proxy. The counted instance gets COUNT_ENV on top of its environment.
 */
export async function countStatements(
  run: Run,
  name: ServerName,
  databaseUrl: string,
  cases: readonly Case[],
): Promise<SqlCounts> {
  const target = new URL(databaseUrl);
  if (!target.hostname || target.searchParams.has('host')) {
    throw new Error('DATABASE_URL does not name a TCP host (a Unix socket cannot be proxied)');
  }
  const proxy = await startSqlCountProxy({
    host: target.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: Number(target.port || 5432),
  });
  const proxied = new URL(databaseUrl);
  proxied.hostname = '127.0.0.1';
  proxied.port = String(proxy.port);
  let server: StartedServer | undefined;
  try {
    server = await startServer(run, name, proxied.toString(), COUNT_ENV);
    const counts: SqlCounts = {};
    for (const item of cases) {
      const request = requestFor(run.spec(name), server.port, item, run.identity);
      const sendChecked = async () => {
        const { status, text } = await send(request);
        if (status !== 200 || text.includes('"errors":')) {
          throw new Error(`${name} at ${item.key}: HTTP ${status}: ${text.slice(0, 500)}`);
        }
      };
      for (let i = 0; i < 3; i++) await sendChecked();
      const perRequest: number[] = [];
      const texts = new Map<string, number>();
      for (let i = 0; i < run.settings.sqlCountRequests; i++) {
        const before = proxy.statements.length;
        await sendChecked();
        // The job queue's statements are not the request's: pg-boss polls and maintains `pgboss.*` on its own
        // timers, and one can fall between a request and its answer (the enforcement section's `_entities` and
        // the audit section's first 500 counted 1-3 per request for it).
        const seen = proxy.statements.slice(before).filter((sql) => !JOB_QUEUE.test(sql));
        perRequest.push(seen.length);
        for (const sql of seen) {
          const text = sql.replace(/\s+/g, ' ').trim();
          texts.set(text, (texts.get(text) ?? 0) + 1);
        }
      }
      const min = Math.min(...perRequest);
      const max = Math.max(...perRequest);
      counts[item.key] = {
        requests: run.settings.sqlCountRequests,
        statements: perRequest.reduce((a, b) => a + b, 0),
        perRequest: min === max ? min : { min, max },
        texts: [...texts].map(([sql, count]) => ({
          count,
          sql: sql.length > 2_000 ? `${sql.slice(0, 2_000)}…` : sql,
        })),
      };
    }
    return counts;
  } finally {
    await server?.stop();
    await proxy.close();
  }
}

/** SQL statements per request as printed: `1`, `2-3` when requests differed, `-` when not counted. */
export function formatSql(perRequest: SqlPerRequest | null | undefined): string {
  if (perRequest === undefined || perRequest === null) return '-';
  return typeof perRequest === 'number' ? String(perRequest) : `${perRequest.min}-${perRequest.max}`;
}
