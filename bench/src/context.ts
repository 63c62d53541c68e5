// What one run knows once it is prepared (run.ts): its settings, database, identity and what it has found so far.
import type { BenchDatabase, DatabaseServer } from './database.js';
import type { ServerSpec } from './servers.js';
import type { ServerName, Settings } from './settings.js';
import type { SqlCounts } from './sql-count.js';
import type { Identity } from './tokens.js';
import type { VerifiedPage } from './verify.js';

export interface Run {
  readonly settings: Settings;
  readonly startedAt: Date;
  readonly databaseServer: DatabaseServer;
  /** The bench database, served to every server but the baseline. */
  readonly database: BenchDatabase;
  /** The change section's baseline database (BENCH_BASELINE_DIR), when change-before runs. */
  readonly baselineDatabase: BenchDatabase | undefined;
  /** The scale section's large database (BENCH_SCALE_CONTACTS), when one of its servers runs. */
  readonly scaleDatabase: BenchDatabase | undefined;
  readonly postgresVersion: string;
  readonly identity: Identity;
  /** The contacts `_entities` fetches: the first ids, the same every run on the same data. */
  readonly entityIds: readonly string[];
  /** Printed at the end and kept in the JSON. */
  readonly warnings: string[];
  /** SQL statements per request of each counted server, per case key. */
  readonly sqlCounts: Partial<Record<ServerName, SqlCounts>>;
  /** The first verified server's page per size: every other server must return the same rows in order. */
  readonly reference: Map<number, VerifiedPage & { readonly name: ServerName }>;
  spec(name: ServerName): ServerSpec;
}
