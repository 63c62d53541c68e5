import { createOrm, openDatabase, prepareDatabase } from '@custos/database';
import { ConfigError, createLogger, loadConfig } from '@custos/runtime';
import { CUSTOS_MODEL } from '../db/model.js';
import { isEmpty, seedDemoData } from '../seed/seed.js';
import { parseArgs } from './args.js';

const USAGE = 'usage: npm run seed -- [--contacts <n>]   (default: SEED_CONTACTS or 1000; up to 1000000)';

/**
 * Loads the deterministic demo data into an empty database (e.g. 100k contacts for the benchmarks).
 * Exit 3 when the database already holds data: seeding never mixes with or overwrites real rows.
 */
async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2), { contacts: 'string', help: 'flag' });
  if (args.has('help')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const config = loadConfig();
  const raw = args.get('contacts')?.at(-1);
  const contacts = raw === undefined ? config.seedContacts : Number(raw);
  if (!Number.isInteger(contacts) || contacts < 1 || contacts > 1_000_000) {
    throw new Error('--contacts must be a whole number from 1 to 1000000');
  }
  const logger = createLogger('warn');
  const database = await openDatabase(config, logger);
  await prepareDatabase(database, { model: CUSTOS_MODEL, production: config.production, logger }).catch(
    async (error: unknown) => {
      await database.stop();
      throw error;
    },
  );
  const orm = await createOrm({ model: CUSTOS_MODEL, url: database.url });
  try {
    if (!(await isEmpty(orm.em.fork()))) {
      process.stderr.write('seed: the database already holds contacts or companies; nothing was written\n');
      return 3;
    }
    const started = Date.now();
    const result = await seedDemoData(orm.em.fork(), {
      contacts,
      onProgress: (message) => process.stderr.write(`${message}\n`),
    });
    process.stderr.write(
      `seed: done in ${((Date.now() - started) / 1000).toFixed(1)} s: ${result.companies} companies, ${result.contacts} contacts, ${result.interactions} interactions\n`,
    );
    return 0;
  } finally {
    await orm.close();
    await database.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `seed: ${error instanceof ConfigError || error instanceof Error ? error.message : String(error)}\n${USAGE}\n`,
    );
    process.exit(2);
  },
);
