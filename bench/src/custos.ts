// The bench's only imports of Custos's runtime: everything else it runs from Custos is a built script it spawns
// (the subgraph, the gateway, the seed CLI). Kept in this one file because the shared runtime is moving out of
// apps/subgraph into packages: startEmbeddedPostgres to @custos/database (packages/database) and provisionDatabase
// to @custos/runtime (packages/runtime). When it has moved, only the two loaders below change. A baseline checkout
// (BENCH_BASELINE_DIR) is older and keeps its own apps/subgraph/dist/kit.js, loaded by path.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { provisionDatabase } from '@custos/subgraph/kit';
import { repoRoot } from './paths.js';

/** This checkout's built subgraph: its server, seed CLI and runtime. */
export const subgraphDist = path.join(repoRoot, 'apps', 'subgraph', 'dist');

/** The embedded cluster (apps/subgraph/src/db/embedded.ts): a superuser URL, and how to stop it. */
export interface EmbeddedPostgres {
  readonly adminUrl: string;
  stop(): Promise<void>;
}
type StartEmbeddedPostgres = (options: {
  readonly dataDir: string;
  readonly onLog?: (line: string) => void;
}) => Promise<EmbeddedPostgres>;

/**
 * The subgraph's startEmbeddedPostgres, loaded only when no database URL is configured. A missing build is said
 * plainly, with the other way out.
 */
export async function loadStartEmbeddedPostgres(): Promise<StartEmbeddedPostgres> {
  const embeddedModule = path.join(subgraphDist, 'db', 'embedded.js');
  if (!existsSync(embeddedModule)) {
    throw new Error(
      `${path.relative(repoRoot, embeddedModule)} is missing: build the subgraph first (npm run build), ` +
        'or set BENCH_DATABASE_URL to an admin URL of a PostgreSQL server',
    );
  }
  const loaded: { startEmbeddedPostgres: StartEmbeddedPostgres } = await import(
    pathToFileURL(embeddedModule).href
  );
  return loaded.startEmbeddedPostgres;
}

export type ProvisionDatabase = typeof provisionDatabase;

/** provisionDatabase of the subgraph built in `dist`: this checkout's, or the baseline's (the change section). */
export async function loadProvisionDatabase(dist: string = subgraphDist): Promise<ProvisionDatabase> {
  const loaded: { provisionDatabase: ProvisionDatabase } = await import(
    pathToFileURL(path.join(dist, 'kit.js')).href
  );
  return loaded.provisionDatabase;
}
