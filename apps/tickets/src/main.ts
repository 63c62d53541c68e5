import { type Config, ConfigError, createLogger, exitOnSignals, loadConfig } from '@custos/runtime';
import { startTickets } from './bootstrap.js';

/**
 * The tickets subgraph on :4002 (PORT), on the database Custos uses, as its own role (DATABASE_URL; migrations
 * and grants as DATABASE_OWNER_URL).
 */
async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(process.env, { port: 4002, consentLedger: false });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  const logger = createLogger(config.logLevel, undefined, 'custos-tickets');
  const running = await startTickets(config, logger).catch((error: unknown) => {
    // DATABASE_URL missing is a configuration error like the others.
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78);
    }
    throw error;
  });
  logger.info({ url: `${running.url}/graphql` }, 'tickets subgraph listening');
  exitOnSignals(logger, () => running.stop());
}

main().catch((error: unknown) => {
  process.stderr.write(
    `tickets: failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
