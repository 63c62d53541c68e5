// The bench's only imports of Custos' runtime: everything else it runs from Custos is a built script it spawns
// (the subgraph, the gateway, the seed CLI). startEmbeddedPostgres comes from @custos/database and
// provisionDatabase from @custos/runtime; a baseline checkout (BENCH_BASELINE_DIR) may be older than the packages
// and keep them in its apps/subgraph/dist/kit.js, loaded by path. The outbox section enqueues mail as the subgraph
// does, with @custos/mail and @custos/jobs (never apps/: the subgraph's queue map is restated below).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { clientDb, createJobQueue, JOBS_DEFAULTS, jobQueue } from '@custos/jobs';
import { enqueueMail, type MailMessage } from '@custos/mail';
import { createLogger, type provisionDatabase } from '@custos/runtime';
import type pg from 'pg';
import { repoRoot } from './paths.js';

/** This checkout's built subgraph: its server, seed CLI and runtime. */
export const subgraphDist = path.join(repoRoot, 'apps', 'subgraph', 'dist');

/** The embedded cluster (packages/database/src/embedded.ts): a superuser URL, and how to stop it. */
export interface EmbeddedPostgres {
  readonly adminUrl: string;
  stop(): Promise<void>;
}
type StartEmbeddedPostgres = (options: {
  readonly dataDir: string;
  readonly onLog?: (line: string) => void;
}) => Promise<EmbeddedPostgres>;

/** startEmbeddedPostgres (packages/database), loaded only when no database URL is configured. */
export async function loadStartEmbeddedPostgres(): Promise<StartEmbeddedPostgres> {
  const loaded: { startEmbeddedPostgres: StartEmbeddedPostgres } = await import('@custos/database');
  return loaded.startEmbeddedPostgres;
}

export type ProvisionDatabase = typeof provisionDatabase;

/**
 * provisionDatabase of a checkout whose subgraph is built in `dist`: this one's (packages/runtime), or the
 * baseline's (the change section) — from its packages when it has them, else from its older apps/subgraph kit.
 */
export async function loadProvisionDatabase(dist: string = subgraphDist): Promise<ProvisionDatabase> {
  const checkout = path.resolve(dist, '..', '..', '..');
  const runtime = path.join(checkout, 'packages', 'runtime', 'dist', 'index.js');
  const kit = path.join(dist, 'kit.js');
  const module = existsSync(runtime) ? runtime : kit;
  if (!existsSync(module)) {
    throw new Error(`${module} is missing: build that checkout first (npm run build)`);
  }
  const loaded: { provisionDatabase: ProvisionDatabase } = await import(pathToFileURL(module).href);
  return loaded.provisionDatabase;
}

/**
 * The subgraph's queues (apps/subgraph/src/jobs/queues.ts `SUBGRAPH_QUEUES`), restated: the bench may not import
 * an app. A job names its outbox row; the subgraph's worker for `mail.deliver` sends that row.
 */
const MAIL_QUEUES = { 'mail.deliver': jobQueue<{ outboxId: string }>() };

/** The subgraph's `mail.deliver` queue, opened from the bench to send only. */
export interface MailQueue {
  /**
   * Writes `message` to the outbox and sends its `mail.deliver` job on `client`'s transaction, as the subgraph's
   * `queueMail` does (apps/subgraph/src/mail/mail.outbox.ts): both exist iff that transaction commits. Its id.
   */
  enqueue(client: pg.ClientBase, message: MailMessage): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Opens the queue as the application role (`url`) with JOBS_WORKERS=0: this instance runs no handler, it only
 * sends; the subgraph's workers deliver. The subgraph must have started first (it creates pg-boss' schema and the
 * queues as the owner).
 */
export async function openMailQueue(url: string): Promise<MailQueue> {
  const queue = await createJobQueue({
    url,
    queues: MAIL_QUEUES,
    config: { ...JOBS_DEFAULTS, workers: false, poolMax: 2 },
    logger: createLogger('warn', undefined, 'custos-bench'),
    name: 'custos-bench',
  });
  return {
    async enqueue(client, message) {
      const outboxId = await enqueueMail((sql, params) => client.query(sql, params), message);
      await queue.send('mail.deliver', { outboxId }, { db: clientDb(client) });
      return outboxId;
    },
    stop: () => queue.stop(),
  };
}
