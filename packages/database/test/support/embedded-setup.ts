import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '../../src/index.js';

/** One embedded cluster for the whole run, started with the product's own code; each test file gets a database. */
export default async function setup(project: TestProject) {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'custos-test-pg-'));
  const pg = await startEmbeddedPostgres({ dataDir });
  project.provide('adminUrl', pg.adminUrl);
  project.provide('databaseKind', 'embedded');
  return async () => {
    await pg.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    adminUrl: string;
    databaseKind: 'embedded' | 'external';
  }
}
