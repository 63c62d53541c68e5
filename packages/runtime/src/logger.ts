import { type Logger, pino } from 'pino';

export type { Logger };

/**
 * Structured logs. They never carry a token, a request's variables or query text, or a personal value:
 * request logs hold the operation name, status, duration and the caller's subject id only. The redact
 * list is a second line of defence for headers that might reach a log by accident.
 */
export function createLogger(
  level: string,
  destination?: NodeJS.WritableStream,
  service = 'custos-subgraph',
): Logger {
  return pino(
    {
      level,
      base: { service },
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'headers.authorization',
          'authorization',
          'token',
          'variables',
          'password',
        ],
        censor: '[redacted]',
      },
    },
    destination as pino.DestinationStream | undefined,
  );
}
