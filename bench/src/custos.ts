// The bench's only imports of Custos' runtime: everything else it runs from Custos is a built script it spawns
// (the subgraph, the gateway, the seed CLI). startEmbeddedPostgres comes from @custos/database and
// provisionDatabase from @custos/runtime; a baseline checkout (BENCH_BASELINE_DIR) may be older than the packages
// and keep them in its apps/subgraph/dist/kit.js, loaded by path.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { provisionDatabase } from '@custos/runtime';
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
