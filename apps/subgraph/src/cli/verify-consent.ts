import { isUuid, loadConfig } from '@custos/runtime';
import { type ChainCheck, verifyConsentChain } from '../consent/consent.verify.js';
import { parseArgs } from './args.js';
import { BROKEN, runCommand, VALID, withMigratedDatabase } from './read-only.js';

const USAGE = 'usage: npm run consent:verify -- [--contact <uuid>]   (default: the whole ledger)';

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
  return withMigratedDatabase('consent:verify', config, async (em) => {
    const check = await verifyConsentChain(em, contactId);
    process.stdout.write(summary(check, contactId ? 'contact' : 'ledger'));
    return check.valid ? VALID : BROKEN;
  });
}

runCommand('consent:verify', USAGE, main);
