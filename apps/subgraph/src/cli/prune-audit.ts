import { pruneAuditLog, retentionCutoff } from '@custos/audit';
import { openDatabase } from '@custos/database';
import { createLogger, loadConfig } from '@custos/runtime';
import { parseArgs } from './args.js';
import { runCommand } from './read-only.js';

const USAGE =
  'usage: npm run audit:prune   (removes audit batches older than AUDIT_RETENTION_DAYS, default 730)';

/**
 * Applies the audit log's retention rule now (the subgraph also applies it at every start): as the owner role
 * (DATABASE_OWNER_URL, or the embedded default), since the application role cannot delete audit rows. For a
 * daily job. Prints counts only.
 */
async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2), { help: 'flag' });
  if (args.has('help')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const config = loadConfig(process.env, { consentLedger: false });
  const database = await openDatabase(config, createLogger('warn'));
  try {
    const cutoff = retentionCutoff(config);
    const result = await pruneAuditLog(database.ownerUrl, cutoff);
    process.stdout.write(
      [
        `audit retention (${config.audit.retentionDays} days, before ${cutoff.toISOString()}):`,
        `  batches removed:  ${result.batches} (${result.events} events)`,
        `  alerts removed:   ${result.alerts}`,
        `  pseudonyms gone:  ${result.subjects}`,
        `  chain anchor:     ${result.anchorSeq === null ? 'unchanged' : `batch ${result.anchorSeq}`}`,
        '',
      ].join('\n'),
    );
    return 0;
  } finally {
    await database.stop();
  }
}

runCommand('audit:prune', USAGE, main);
