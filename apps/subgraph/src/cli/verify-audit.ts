import { type AuditLogCheck, loadSigningKey, verifyAuditLog } from '@custos/audit';
import { query } from '@custos/database';
import { loadConfig } from '@custos/runtime';
import { parseArgs } from './args.js';
import { BROKEN, runCommand, VALID, withMigratedDatabase } from './read-only.js';

const USAGE = 'usage: npm run audit:verify   (the whole audit trail, against the signed checkpoints)';

/** Counts, sequence numbers and the finding: never an actor, a contact or a field value. */
function summary(check: AuditLogCheck, checkpointDir: string): string {
  return [
    `audit trail: ${check.valid ? 'VALID' : 'BROKEN'}`,
    `  batches checked:  ${check.batches} (head ${check.headSeq ?? 'none'})`,
    `  events checked:   ${check.events}`,
    `  checkpoints:      ${check.checkpoints} signed, newest names batch ${check.lastCheckpointSeq ?? 'none'} (${checkpointDir})`,
    `  finding:          ${check.problem ?? 'every digest, hash and link holds; every checkpointed batch is there'}`,
    '',
  ].join('\n');
}

/**
 * Recomputes the audit trail's chain — every event digest, batch hash and link — and checks it against the
 * signed checkpoints under AUDIT_CHECKPOINT_DIR, on the database of DATABASE_URL or the embedded default. Reads
 * only. Exit 0 valid, 1 broken, 2 when it could not check.
 */
async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2), { help: 'flag' });
  if (args.has('help')) {
    process.stdout.write(`${USAGE}\n`);
    return VALID;
  }
  const config = loadConfig(process.env, { consentLedger: false });
  const signingKey = await loadSigningKey(config.audit.signingKey, config.dataDir);
  return withMigratedDatabase('audit:verify', config, async (em) => {
    const check = await verifyAuditLog((sql, params) => query(em, sql, params), {
      checkpointDir: config.audit.checkpointDir,
      signingKey,
    });
    process.stdout.write(summary(check, config.audit.checkpointDir));
    return check.valid ? VALID : BROKEN;
  });
}

runCommand('audit:verify', USAGE, main);
