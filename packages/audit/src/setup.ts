import type { KeyObject } from 'node:crypto';
import type { Config, Logger } from '@custos/runtime';
import { loadOrCreateSecret } from '@custos/runtime';
import { CheckpointLog, loadSigningKey } from './checkpoints.js';
import { RefusalLog } from './refusals.js';
import { AuditWriter } from './writer.js';

/** A service's audit trail: its writer (none when auditing is off: benchmarks only) and its checkpoints. */
export interface AuditTrail {
  readonly writer: AuditWriter | undefined;
  readonly checkpointDir: string;
  /** Signs checkpoints; its public half verifies them. */
  readonly signingKey: KeyObject;
  /** Refused requests (401/403), aggregated per window (none when auditing is off). */
  readonly refusals: RefusalLog | undefined;
}

export interface AuditTrailOptions {
  /**
   * Whether this service's writer moves the audit outbox (audit_pending) into the chain: only Custos', whose
   * mutations fill it and whose role may read and delete there. A service holding only AUDIT_WRITER_GRANTS
   * (tickets, the gateway) passes false: it may not read the outbox (README: database roles).
   */
  readonly drainsOutbox: boolean;
}

export async function createAuditTrail(
  config: Config,
  url: string,
  service: string,
  logger: Logger,
  options: AuditTrailOptions,
): Promise<AuditTrail> {
  const signingKey = await loadSigningKey(config.audit.signingKey, config.dataDir);
  const checkpointDir = config.audit.checkpointDir;
  if (!config.audit.enabled) {
    logger.warn('AUDIT_ENABLED=0: reads of personal data are NOT audited (benchmarks only)');
    return { writer: undefined, checkpointDir, signingKey, refusals: undefined };
  }
  const writer = new AuditWriter({
    url,
    service,
    logger,
    bufferMax: config.audit.bufferEvents,
    flushMs: config.audit.flushMs,
    waitMs: config.audit.waitMs,
    checkpoints: new CheckpointLog(checkpointDir, service, signingKey),
    checkpointEveryMs: config.audit.checkpointSeconds * 1000,
    crashAfterCommit: config.audit.testCrashAfterCommit,
    drainsOutbox: options.drainsOutbox,
  });
  const refusals = new RefusalLog(writer, {
    // Every service hashes a client's address alike (the same key: AUDIT_HMAC_KEY, or the development one).
    hmacKey: config.audit.hmacKey
      ? Buffer.from(config.audit.hmacKey)
      : await loadOrCreateSecret(config.dataDir, 'audit-hmac.key'),
    logger,
    windowMs: config.audit.refusalWindowSeconds * 1000,
    maxKeys: config.audit.refusalKeys,
  });
  return { writer, checkpointDir, signingKey, refusals };
}
