import pg from 'pg';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { startEmbeddedPostgres } from './embedded.js';

export interface Database {
  readonly url: string;
  /** `external` when DATABASE_URL was given, `embedded` when this process started its own cluster. */
  readonly kind: 'external' | 'embedded';
  stop(): Promise<void>;
}

const EMBEDDED_DATABASE = 'custos';

/** Creates `name` on the server behind `adminUrl` unless it exists. The name is an identifier we control. */
export async function ensureDatabase(adminUrl: string, name: string): Promise<string> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error('database name must be a lowercase identifier');
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (found.rowCount === 0) await client.query(`create database "${name}"`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** DATABASE_URL when set; otherwise an embedded cluster with its data under `.data/`. */
export async function openDatabase(config: Config, logger: Logger): Promise<Database> {
  if (config.databaseUrl) {
    return { url: config.databaseUrl, kind: 'external', stop: async () => {} };
  }
  logger.info({ dataDir: config.dataDir }, 'starting embedded PostgreSQL');
  const embedded = await startEmbeddedPostgres({
    dataDir: config.dataDir,
    onLog: (line) => logger.debug({ pg: line }, 'embedded postgres'),
  });
  try {
    const url = await ensureDatabase(embedded.adminUrl, EMBEDDED_DATABASE);
    return { url, kind: 'embedded', stop: () => embedded.stop() };
  } catch (error) {
    await embedded.stop();
    throw error;
  }
}
