import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { startEmbeddedPostgres } from './embedded.js';
import { provisionDatabase, type RolePasswords } from './roles.js';

export interface Database {
  /** The application role's URL: every connection pool uses it. */
  readonly url: string;
  /** The owner role's URL: migrations and grants only. Equal to `url` when one role does both. */
  readonly ownerUrl: string;
  /** `external` when DATABASE_URL was given, `embedded` when this process started its own cluster. */
  readonly kind: 'external' | 'embedded';
  stop(): Promise<void>;
}

const EMBEDDED_DATABASE = 'custos';
/** The embedded default's two roles (roles.ts): the owner migrates, the application role serves. */
export const EMBEDDED_ROLES = { owner: 'custos_owner', app: 'custos_app' } as const;

/** The embedded roles' passwords, made once and kept beside the cluster (mode 0600). */
async function rolePasswords(dataDir: string): Promise<RolePasswords> {
  const file = path.join(dataDir, 'pg-roles.json');
  if (existsSync(file)) {
    const saved = JSON.parse(await readFile(file, 'utf8')) as Partial<RolePasswords>;
    if (typeof saved.owner === 'string' && typeof saved.app === 'string') {
      return { owner: saved.owner, app: saved.app };
    }
  }
  const passwords = {
    owner: randomBytes(24).toString('base64url'),
    app: randomBytes(24).toString('base64url'),
  };
  await writeFile(file, `${JSON.stringify(passwords)}\n`, { mode: 0o600 });
  return passwords;
}

/**
 * DATABASE_URL (the application role) and DATABASE_OWNER_URL (the owner, for migrations; DATABASE_URL when
 * unset) when set; otherwise an embedded cluster with its data under `.data/`, its database owned by
 * `custos_owner` and served as `custos_app`.
 */
export async function openDatabase(config: Config, logger: Logger): Promise<Database> {
  if (config.databaseUrl) {
    return {
      url: config.databaseUrl,
      ownerUrl: config.databaseOwnerUrl ?? config.databaseUrl,
      kind: 'external',
      stop: async () => {},
    };
  }
  logger.info({ dataDir: config.dataDir }, 'starting embedded PostgreSQL');
  const embedded = await startEmbeddedPostgres({
    dataDir: config.dataDir,
    onLog: (line) => logger.debug({ pg: line }, 'embedded postgres'),
  });
  try {
    const { ownerUrl, appUrl } = await provisionDatabase(
      embedded.adminUrl,
      EMBEDDED_DATABASE,
      EMBEDDED_ROLES,
      await rolePasswords(config.dataDir),
    );
    return { url: appUrl, ownerUrl, kind: 'embedded', stop: () => embedded.stop() };
  } catch (error) {
    await embedded.stop();
    throw error;
  }
}
