import type { AuditTrail } from '@custos/audit';
import type { DataContext } from '@custos/server';
import type { SubgraphJobs } from './jobs/queues.js';
import type { Loaders } from './loaders.js';

/** Keys the subgraph's own operations need (never logged, never in an answer). */
export interface Secrets {
  /** Keys the HMAC of an IP address kept as consent evidence (GDPR Art 32: pseudonymised). */
  readonly consentHmacKey: Buffer;
}

/** Everything a resolver may use. One forked EntityManager and one set of loaders per request. */
export type Context = DataContext<Loaders> & {
  readonly secrets: Secrets;
  /** Who is responsible for the processing (named on consent receipts). */
  readonly controller: { readonly name: string; readonly contact: string };
  /** AGGREGATE_MIN_CELL: the dashboard's small-cell threshold (apps/subgraph/src/dashboard). */
  readonly aggregateMinCell: number;
  /** The audit trail's writer and checkpoints (the audit queries read and verify them). */
  readonly auditTrail: AuditTrail;
  /** The job queue (dead letters: list and re-drive). */
  readonly jobs: SubgraphJobs;
};
