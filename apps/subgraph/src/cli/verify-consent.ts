import { TableNotFoundException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ConfigError, loadConfig } from '../config.js';
import { type ChainCheck, verifyConsentChain } from '../consent/consent.service.js';
import { openDatabase } from '../db/database.js';
import { migrations } from '../db/migrations/index.js';
import { createOrm } from '../db/orm.js';
import { createLogger } from '../logger.js';
import { isUuid } from '../shared/pagination.js';
import { query } from '../shared/sql.js';
import { parseArgs } from './args.js';

const USAGE = 'usage: npm run consent:verify -- [--contact <uuid>]   (default: the whole ledger)';

/** Exit codes: the ledger holds, it does not, or the command could not check it. */
const VALID = 0;
const BROKEN = 1;
const UNABLE = 2;

/** The summary a person reads: counts and an event id, never a personal value (nor the contact id asked about). */
function summary(check: ChainCheck, scope: 'contact' | 'ledger'): string {
  return [
    `consent ledger (${scope === 'contact' ? 'one contact' : 'every contact'}): ${check.valid ? 'VALID' : 'BROKEN'}`,
    `  events checked:   ${check.events}`,
    `  hash chain:       ${check.brokenEventId ? `broken at event ${check.brokenEventId} (its hash, link to the previous event or sequence number does not hold)` : 'intact'}`,
    `  current states:   ${check.stateMismatches === 0 ? 'each the latest event of its contact and purpose' : `${check.stateMismatches} mismatch(es): a current state or consent bit that is not the latest event`}`,
    '',
  ].join('\n');
}

/** Whether every committed migration was applied, by reading only (MikroORM's own check creates its table). */
async function isMigrated(em: EntityManager): Promise<boolean> {
  try {
    const applied = await query<{ name: string }>(em, 'select name from mikro_orm_migrations');
    const names = new Set(applied.map((row) => row.name));
    return migrations.every((migration) => names.has(migration.name));
  } catch (error) {
    if (error instanceof TableNotFoundException) return false;
    throw error;
  }
}

/**
 * Recomputes the consent ledger's hash chain (the whole ledger, or one contact's) and checks that every current
 * state is its latest event, on the database of DATABASE_URL or the embedded default, as the application role.
 * It reads only: no migration, no write. Exit 0 valid, 1 broken, 2 when it could not check (usage, config,
 * database unreachable or not migrated).
 */
async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2), { contact: 'string', help: 'flag' });
  if (args.has('help')) {
    process.stdout.write(`${USAGE}\n`);
    return VALID;
  }
  const contacts = args.get('contact') ?? [];
  if (contacts.length > 1) throw new Error('--contact may be given once');
  const contactId = contacts[0] ?? null;
  if (contactId !== null && !isUuid(contactId)) throw new Error('--contact must be a contact id (a UUID)');
  // The check needs no HMAC key: it reads digests, never evidence.
  const config = loadConfig(process.env, { consentLedger: false });
  const database = await openDatabase(config, createLogger('warn'));
  try {
    const orm = await createOrm({ url: database.url, poolMax: 1 });
    try {
      if (!(await isMigrated(orm.em.fork()))) {
        process.stderr.write(
          'consent:verify: the database is not migrated (start Custos once to apply the migrations)\n',
        );
        return UNABLE;
      }
      const check = await verifyConsentChain(orm.em.fork(), contactId);
      process.stdout.write(summary(check, contactId ? 'contact' : 'ledger'));
      return check.valid ? VALID : BROKEN;
    } finally {
      await orm.close();
    }
  } finally {
    await database.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `consent:verify: ${error instanceof ConfigError || error instanceof Error ? error.message : String(error)}\n${USAGE}\n`,
    );
    process.exit(UNABLE);
  },
);
