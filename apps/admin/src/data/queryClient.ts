import { QueryClient } from '@tanstack/react-query';

const MAX_RETRIES = 2;

/**
 * Whether a failed query is worth asking again: a refusal or a bad request (401, 403, 404, 400, 409…) answers the
 * same the next time, so only a failure without a status (the network) or a server error is retried, twice at most.
 * react-query's default retries every failure three times: a 403 took four requests (four audited refusals) and
 * seconds of spinner before the notification.
 */
export function shouldRetry(failureCount: number, error: unknown): boolean {
  if (failureCount >= MAX_RETRIES) return false;
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status !== 'number' || status >= 500;
}

/** The console's query client: react-admin's defaults but for retries (above). */
export function createQueryClient(): QueryClient {
  return new QueryClient({ defaultOptions: { queries: { retry: shouldRetry } } });
}
