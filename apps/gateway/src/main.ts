import { createLogger, exitOnSignals } from '@custos/runtime';
import { ConfigError, type GatewayConfig, loadGatewayConfig } from './config.js';
import { createGateway } from './gateway.js';
import { loadSupergraph } from './supergraph.js';

/** The federation gateway on :4000, serving the composed supergraph (`npm run compose`). */
async function main(): Promise<void> {
  let config: GatewayConfig;
  try {
    config = loadGatewayConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  // LOG_LEVEL is ours (pino's levels). The runtime's own logger (@graphql-hive/logger 1.x) reads it again on every
  // construction, even with logging off, and throws on pino's `silent` and `fatal`: it must not see it.
  delete process.env.LOG_LEVEL;
  const logger = createLogger(config.logLevel, undefined, 'custos-gateway');
  const supergraph = loadSupergraph(config.supergraphPath, config.subgraphUrls);
  const gateway = await createGateway({ config, supergraph, logger });
  logger.info({ url: `${gateway.url}/graphql` }, 'gateway listening');
  if (process.env.CUSTOS_BANNER !== '0') {
    process.stderr.write(
      `\n  Custos gateway    ${gateway.url}/graphql\n  health            ${gateway.url}/healthz   ready: ${gateway.url}/readyz\n${
        config.console.dir ? `  console           ${gateway.url}/\n` : ''
      }\n`,
    );
  }

  exitOnSignals(logger, () => gateway.close());
}

main().catch((error: unknown) => {
  process.stderr.write(
    `custos gateway: failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
