import { ROLES } from '@custos/policy';
import { ConfigError, loadConfig, loadOrCreateDevKeys, signDevToken } from '@custos/runtime';
import { parseArgs } from './args.js';

const USAGE = `usage: npm run -s token -- --sub <id> --role <role> [--role <role>...] [--ttl <seconds>]
roles: ${ROLES.join(', ')}`;

/** Prints one signed development JWT on stdout. Refuses to run in production. */
async function main(): Promise<void> {
  if (process.env.NODE_ENV === 'production') {
    throw new Error('development tokens are refused when NODE_ENV=production; use your identity provider');
  }
  const args = parseArgs(process.argv.slice(2), {
    sub: 'string',
    role: 'string',
    ttl: 'string',
    help: 'flag',
  });
  if (args.has('help')) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const sub = args.get('sub')?.at(-1);
  const roles = args.get('role') ?? [];
  if (!sub || sub.length > 200) throw new Error('--sub is required (at most 200 characters)');
  if (roles.length === 0) throw new Error('at least one --role is required');
  const unknown = roles.filter((r) => !(ROLES as readonly string[]).includes(r));
  if (unknown.length > 0) throw new Error(`unknown role(s): ${unknown.join(', ')}`);
  const config = loadConfig();
  const ttlRaw = args.get('ttl')?.at(-1);
  const ttl = ttlRaw === undefined ? config.auth.devTokenTtlSeconds : Number(ttlRaw);
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > 86_400) throw new Error('--ttl must be 1 to 86400 seconds');
  const keys = await loadOrCreateDevKeys(config.dataDir);
  process.stdout.write(`${await signDevToken(keys, { sub, roles, ttlSeconds: ttl })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `token: ${error instanceof ConfigError || error instanceof Error ? error.message : String(error)}\n${USAGE}\n`,
  );
  process.exit(2);
});
