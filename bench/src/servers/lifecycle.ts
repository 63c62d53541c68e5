// What the bench's reference servers share: their settings from the environment, and their shutdown.
import type { Server } from 'node:http';

/** The server's settings: `required`'s value (a missing one stops it, exit 2), PORT and HOST. */
export function serverEnv(
  server: string,
  required: string,
  defaultPort: number,
): { value: string; port: number; host: string } {
  const value = process.env[required];
  if (!value) {
    console.error(`${server}: ${required} is required`);
    process.exit(2);
  }
  return { value, port: Number(process.env.PORT ?? defaultPort), host: process.env.HOST ?? '127.0.0.1' };
}

/** On SIGTERM or SIGINT: stop accepting connections, `release` what the server holds (its pool), exit 0. */
export function stopOnSignal(server: Server, release: () => unknown): void {
  const shutdown = async () => {
    server.close();
    await release();
    process.exit(0);
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}
