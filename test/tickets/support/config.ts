import { type Config, loadConfig } from '@custos/runtime';
import type { TestServer } from '../../../apps/subgraph/test/support/harness.js';

/**
 * The tickets subgraph's configuration beside a test's Custos server, as `npm start` runs it: its own database
 * role (`ticketsDatabaseUrl`), migrations and grants as the owner, the same data directory (audit keys and
 * checkpoints), Custos' development JWKS for tokens. `env` adds or overrides variables.
 */
export function ticketsConfig(server: TestServer, env: Record<string, string> = {}): Config {
  return loadConfig(
    {
      NODE_ENV: 'test',
      DATABASE_URL: server.ticketsDatabaseUrl,
      DATABASE_OWNER_URL: server.databaseOwnerUrl,
      CUSTOS_DATA_DIR: server.dataDir,
      PORT: '0',
      SEED_CONTACTS: '1',
      DB_POOL_MAX: '4',
      // The subgraph's development JWKS, as in production the identity provider's.
      AUTH_JWKS_URL: `${server.baseUrl}/.well-known/jwks.json`,
      ...env,
    },
    { port: 4002, consentLedger: false },
  );
}
