import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config, Logger } from '@custos/runtime';
import { provisionDatabase, type RolePasswords } from '@custos/runtime';
import { startEmbeddedPostgres } from './embedded.js';

export interface Database {
  /** The application role's URL: every connection pool uses it. */
  readonly url: string;
  /** The owner role's URL: migrations and grants only. Equal to `url` when one role does both. */
  readonly ownerUrl: string;
  /**
   * The tickets subgraph's own role (embedded: `custos_tickets`); undefined with DATABASE_URL, where `npm start`
   * takes TICKETS_DATABASE_URL.
   */
  readonly ticketsUrl: string | undefined;
  /**
   * The gateway's own role (embedded: `custos_gateway`), which only writes the audit trail; undefined with
   * DATABASE_URL, where `npm start` takes GATEWAY_DATABASE_URL.
   */
  readonly gatewayUrl: string | undefined;
  /** `external` when DATABASE_URL was given, `embedded` when this process started its own cluster. */
  readonly kind: 'external' | 'embedded';
  stop(): Promise<void>;
}

const EMBEDDED_DATABASE = 'custos';
/**
 * The embedded default's roles (roles.ts): the owner migrates, the application role serves Custos, the tickets
 * role serves the tickets subgraph, the gateway role writes the gateway's refusals into the audit trail.
 */
export const EMBEDDED_ROLES = {
  owner: 'custos_owner',
  app: 'custos_app',
  tickets: 'custos_tickets',
  gateway: 'custos_gateway',
} as const;

type EmbeddedPasswords = Required<RolePasswords>;

/** The embedded roles' passwords, made once and kept beside the cluster (mode 0600); a role added later gets one. */
export async function rolePasswords(dataDir: string): Promise<EmbeddedPasswords> {
  const file = path.join(dataDir, 'pg-roles.json');
  const saved: Partial<Record<keyof EmbeddedPasswords, unknown>> = existsSync(file)
    ? (JSON.parse(await readFile(file, 'utf8')) as Partial<Record<keyof EmbeddedPasswords, unknown>>)
    : {};
  const fresh = () => randomBytes(24).toString('base64url');
  const kept = (value: unknown) => (typeof value === 'string' && value.length > 0 ? value : undefined);
  const passwords: EmbeddedPasswords = {
    owner: kept(saved.owner) ?? fresh(),
    app: kept(saved.app) ?? fresh(),
    tickets: kept(saved.tickets) ?? fresh(),
    gateway: kept(saved.gateway) ?? fresh(),
  };
  if (
    (Object.keys(passwords) as (keyof EmbeddedPasswords)[]).some((role) => saved[role] !== passwords[role])
  ) {
    await writeFile(file, `${JSON.stringify(passwords)}\n`, { mode: 0o600 });
  }
  return passwords;
}

/**
 * DATABASE_URL (the application role) and DATABASE_OWNER_URL (the owner, for migrations; DATABASE_URL when
 * unset) when set; otherwise an embedded cluster with its data under `.data/`, its database owned by
 * `custos_owner` and served as `custos_app` (the tickets subgraph as `custos_tickets`, the gateway's audit trail as
 * `custos_gateway`).
 */
export async function openDatabase(config: Config, logger: Logger): Promise<Database> {
  if (config.databaseUrl) {
    return {
      url: config.databaseUrl,
      ownerUrl: config.databaseOwnerUrl ?? config.databaseUrl,
      ticketsUrl: undefined,
      gatewayUrl: undefined,
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
    const { ownerUrl, appUrl, ticketsUrl, gatewayUrl } = await provisionDatabase(
      embedded.adminUrl,
      EMBEDDED_DATABASE,
      EMBEDDED_ROLES,
      await rolePasswords(config.dataDir),
    );
    return {
      url: appUrl,
      ownerUrl,
      ticketsUrl,
      gatewayUrl,
      kind: 'embedded',
      stop: () => embedded.stop(),
    };
  } catch (error) {
    await embedded.stop();
    throw error;
  }
}
