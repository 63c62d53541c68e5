import { BlockList } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseTrustedProxies } from './client-address.js';
import { type CursorSecret, parseCursorKeys } from './cursors.js';
import { DEFAULT_LIMITS, type QueryLimits } from './limits.js';

/**
 * Configuration comes from environment variables only, validated once at start. Every bad value is
 * reported with the variable's name and the rule it breaks, never with the value itself (it may be a
 * secret), and the process refuses to start.
 */
export interface Config {
  readonly nodeEnv: 'production' | 'development' | 'test';
  readonly production: boolean;
  readonly host: string;
  readonly port: number;
  /** External PostgreSQL; when absent an embedded server is started with its data under `dataDir`. */
  readonly databaseUrl: string | undefined;
  /**
   * The role that owns the schema and runs migrations (DATABASE_OWNER_URL); DATABASE_URL is then the application
   * role, which may append to the ledgers but never rewrite them. Unset: DATABASE_URL does both (refused in
   * production, where the ledgers must be append-only for the role that serves requests).
   */
  readonly databaseOwnerUrl: string | undefined;
  readonly dataDir: string;
  readonly seedContacts: number;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  readonly maxBodyBytes: number;
  /** Depth, alias, token and cost limits of a GraphQL document (http/limits.ts). */
  readonly limits: QueryLimits;
  readonly auth: {
    /** Production: the identity provider's JWKS. Development: undefined, the local key pair is used. */
    readonly jwksUrl: string | undefined;
    readonly issuer: string;
    readonly audience: string;
    /** The token claim holding the caller's roles (AUTH_ROLES_CLAIM, default `roles`): see {@link rolesClaimProblem}. */
    readonly rolesClaim: string;
    readonly devTokenTtlSeconds: number;
  };
  readonly dbPoolMax: number;
  /** Requests per minute and client address to the data-subject endpoints. */
  readonly publicRateLimitPerMinute: number;
  /**
   * AGGREGATE_MIN_CELL: the dashboard's aggregate counts of people's choices between 1 and this minus one are
   * withheld (small-cell suppression), so that a count never singles a person out.
   */
  readonly aggregateMinCell: number;
  /**
   * Proxies whose `X-Forwarded-For` names the client (TRUSTED_PROXIES: addresses or CIDR blocks; none by default):
   * the rate limits and consent evidence key on the address it gives. Anyone else's header is ignored.
   */
  readonly trustedProxies: BlockList;
  /** The controller named on consent receipts (CONTROLLER_NAME, CONTROLLER_CONTACT). */
  readonly controller: { readonly name: string; readonly contact: string };
  /** Keys the HMAC of IP addresses in consent evidence; development: a key made under dataDir. */
  readonly consentHmacKey: string | undefined;
  /**
   * Keys that seal list cursors (CURSOR_KEYS: the first seals, every one opens); development: undefined, a key
   * made under dataDir is used.
   */
  readonly cursorKeys: readonly CursorSecret[] | undefined;
  /** The audit trail (apps/subgraph/src/audit). */
  readonly audit: {
    /** Off only for benchmarks (AUDIT_ENABLED=0); refused in production. */
    readonly enabled: boolean;
    /** PKCS#8 PEM of the Ed25519 key that signs checkpoints; development: a key made under dataDir. */
    readonly signingKey: string | undefined;
    /** Where signed checkpoints of the chain head are appended (outside the database). */
    readonly checkpointDir: string;
    readonly checkpointSeconds: number;
    /** Events held in memory before requests wait: at most what a crash loses. */
    readonly bufferEvents: number;
    readonly flushMs: number;
    /** How long a request waits for room in a full buffer before it is refused (AUDIT_UNAVAILABLE). */
    readonly waitMs: number;
    /** The audit log's own retention: batches older than this are removed (at start, and by audit:prune). */
    readonly retentionDays: number;
    /**
     * Tests only (CUSTOS_TEST_CRASH_AFTER_COMMIT=1): the process kills itself (SIGKILL) right after a mutation's
     * commit, before its answer — the crash the audit outbox must survive. Refused in production.
     */
    readonly testCrashAfterCommit: boolean;
    /** Keys the HMAC of client addresses in refusal events; development: a key made under dataDir. */
    readonly hmacKey: string | undefined;
    /** Refused requests are aggregated per window of this length … */
    readonly refusalWindowSeconds: number;
    /** … with at most this many distinct (kind, actor, purpose, reason) keys per window and process. */
    readonly refusalKeys: number;
  };
  /**
   * Benchmarks only: every request is processed as the policy's unrestricted purpose (every row, field, operation),
   * to measure what enforcement costs. Refused in production.
   */
  readonly policyAllowAll: boolean;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export const DEV_ISSUER = 'custos-dev';
export const DEV_AUDIENCE = 'custos';
/** DESIGN.md's claim; a provider that cannot write it names its own (AUTH_ROLES_CLAIM). */
export const DEFAULT_ROLES_CLAIM = 'roles';

/** Claims with a meaning of their own (RFC 7519 §4.1, OIDC Core §2): never the roles. */
const REGISTERED_CLAIMS = new Set([
  'sub',
  'iss',
  'aud',
  'exp',
  'nbf',
  'iat',
  'jti',
  'azp',
  'scope',
  'client_id',
]);

/**
 * Why `claim` cannot name the roles claim, or undefined when it can: a plain claim name (`roles`, `custos_roles`,
 * `cognito:groups`) or a namespaced one as providers that reserve plain names require (Auth0:
 * `https://custos.example/roles`, a URL or URN without spaces). A top-level claim only: a dotted name is one claim
 * named so (such namespaces contain dots), never a path into a nested object.
 */
export function rolesClaimProblem(variable: string, claim: string): string | undefined {
  const plain = /^[A-Za-z_][A-Za-z0-9_.:-]{0,99}$/.test(claim);
  let namespaced = false;
  if (!plain && claim.length <= 200 && !/\s/.test(claim)) {
    try {
      const url = new URL(claim);
      namespaced =
        ['https:', 'http:', 'urn:'].includes(url.protocol) && url.href.length > url.protocol.length + 1;
    } catch {
      namespaced = false;
    }
  }
  if (!plain && !namespaced)
    return `${variable}: must be a claim name (letters, digits, _ . : -) or a namespaced claim URL such as https://example.com/roles`;
  if (REGISTERED_CLAIMS.has(claim)) return `${variable}: must not be a registered claim (sub, iss, aud, …)`;
  return undefined;
}

/** AUTH_ROLES_CLAIM from `get`, validated into `problems`; the default when unset. */
export function readRolesClaim(get: (name: string) => string | undefined, problems: string[]): string {
  const claim = get('AUTH_ROLES_CLAIM') ?? DEFAULT_ROLES_CLAIM;
  const problem = rolesClaimProblem('AUTH_ROLES_CLAIM', claim);
  if (problem) problems.push(problem);
  return claim;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** The repository root, so that `.data/` is found whatever the working directory. */
export function repoRoot(): string {
  // this file lives in packages/runtime/{src,dist}/ of the workspace (npm start, the Dockerfile's image)
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
}

export type Env = Readonly<Record<string, string | undefined>>;

/** True for a loopback host name or address, as `URL.hostname` writes it (an `http:` URL to one stays on the machine). */
export function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/**
 * Reads settings from `env`: `get` a trimmed value (undefined when unset or blank), `int` a whole number within
 * bounds. A bad value adds its problem (the setting's name and rule, never the value) to `problems`.
 */
export function envReader(env: Env, problems: string[]) {
  const get = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = get(name);
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      problems.push(`${name}: must be a whole number from ${min} to ${max}`);
      return fallback;
    }
    return Number(raw);
  };
  return { get, int };
}

export function loadConfig(
  env: Env = process.env,
  defaults: {
    readonly port?: number /** Services without a consent ledger (tickets) need no key. */;
    readonly consentLedger?: boolean;
    /** Services that serve no list (the gateway's audit of refusals) need no cursor keys. */
    readonly cursors?: boolean;
  } = {},
): Config {
  const problems: string[] = [];
  const { get, int } = envReader(env, problems);
  const url = (name: string, protocols: string[]): string | undefined => {
    const raw = get(name);
    if (raw === undefined) return undefined;
    try {
      const parsed = new URL(raw);
      if (!protocols.includes(parsed.protocol)) {
        problems.push(
          `${name}: must be a URL with scheme ${protocols.map((p) => p.replace(':', '')).join(' or ')}`,
        );
      }
    } catch {
      problems.push(`${name}: must be a valid URL`);
    }
    return raw;
  };

  const rawEnv = get('NODE_ENV') ?? 'development';
  let nodeEnv: Config['nodeEnv'] = 'development';
  if (rawEnv === 'production' || rawEnv === 'development' || rawEnv === 'test') nodeEnv = rawEnv;
  else problems.push('NODE_ENV: must be one of production, development, test');
  const production = nodeEnv === 'production';

  const logLevel = (get('LOG_LEVEL') ?? 'info') as Config['logLevel'];
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL: must be one of ${LOG_LEVELS.join(', ')}`);

  const host = get('HOST') ?? '127.0.0.1';
  const port = int('PORT', defaults.port ?? 4001, 0, 65535);
  const databaseUrl = url('DATABASE_URL', ['postgres:', 'postgresql:']);
  const databaseOwnerUrl = url('DATABASE_OWNER_URL', ['postgres:', 'postgresql:']);
  if (databaseOwnerUrl && !databaseUrl) {
    problems.push('DATABASE_OWNER_URL: needs DATABASE_URL (the application role) beside it');
  }
  const dataDir = path.resolve(get('CUSTOS_DATA_DIR') ?? path.join(repoRoot(), '.data'));
  const seedContacts = int('SEED_CONTACTS', 1000, 0, 1_000_000);
  const maxBodyBytes = int('MAX_BODY_BYTES', 1_048_576, 1024, 104_857_600);
  const dbPoolMax = int('DB_POOL_MAX', 10, 1, 200);
  const limits: QueryLimits = {
    maxDepth: int('MAX_QUERY_DEPTH', DEFAULT_LIMITS.maxDepth, 1, 100),
    maxAliases: int('MAX_QUERY_ALIASES', DEFAULT_LIMITS.maxAliases, 0, 10_000),
    maxTokens: int('MAX_QUERY_TOKENS', DEFAULT_LIMITS.maxTokens, 100, 1_000_000),
    maxCost: int('MAX_QUERY_COST', DEFAULT_LIMITS.maxCost, 1, 1_000_000_000),
  };
  const devTokenTtlSeconds = int('DEV_TOKEN_TTL_SECONDS', 3600, 60, 86_400);

  const jwksUrl = url('AUTH_JWKS_URL', ['https:', 'http:']);
  // Keys fetched over plain HTTP could be swapped in transit: production takes https, or http only from a
  // sidecar on this host's loopback.
  if (
    production &&
    jwksUrl &&
    new URL(jwksUrl).protocol === 'http:' &&
    !isLoopback(new URL(jwksUrl).hostname)
  ) {
    problems.push('AUTH_JWKS_URL: must use https (http only on a loopback address) in production');
  }
  const issuer = get('AUTH_ISSUER') ?? (production ? undefined : DEV_ISSUER);
  const audience = get('AUTH_AUDIENCE') ?? (production ? undefined : DEV_AUDIENCE);
  const rolesClaim = readRolesClaim(get, problems);
  if (production) {
    // DESIGN.md: production needs a real identity provider and never accepts development tokens.
    if (!jwksUrl) problems.push('AUTH_JWKS_URL: required when NODE_ENV=production');
    if (!issuer) problems.push('AUTH_ISSUER: required when NODE_ENV=production');
    else if (issuer === DEV_ISSUER)
      problems.push(`AUTH_ISSUER: must not be the development issuer in production`);
    if (!audience) problems.push('AUTH_AUDIENCE: required when NODE_ENV=production');
    if (!databaseUrl) problems.push('DATABASE_URL: required when NODE_ENV=production (no embedded database)');
  }

  const publicRateLimitPerMinute = int('PUBLIC_RATE_LIMIT_PER_MINUTE', 30, 1, 100_000);
  // 1 would withhold nothing; 2 is the least that hides a lone person.
  const aggregateMinCell = int('AGGREGATE_MIN_CELL', 5, 2, 1000);
  const proxies = parseTrustedProxies(get('TRUSTED_PROXIES'));
  if (typeof proxies === 'string') problems.push(proxies);
  const trustedProxies = typeof proxies === 'string' ? new BlockList() : proxies.list;
  const controller = {
    name: (get('CONTROLLER_NAME') ?? 'Custos demo controller').slice(0, 200),
    contact: (get('CONTROLLER_CONTACT') ?? 'privacy@example.com').slice(0, 200),
  };
  const consentHmacKey = get('CONSENT_HMAC_KEY');
  if (consentHmacKey !== undefined && consentHmacKey.length < 32) {
    problems.push('CONSENT_HMAC_KEY: must be at least 32 characters (a random secret)');
  }
  if (production && consentHmacKey === undefined && defaults.consentLedger !== false) {
    problems.push(
      'CONSENT_HMAC_KEY: required when NODE_ENV=production (keys the HMAC of IPs in consent evidence)',
    );
  }

  const cursorKeysRaw = get('CURSOR_KEYS');
  let cursorKeys: CursorSecret[] | undefined;
  if (cursorKeysRaw !== undefined) {
    const parsed = parseCursorKeys(cursorKeysRaw);
    problems.push(...parsed.problems);
    cursorKeys = parsed.keys;
  } else if (production && defaults.cursors !== false) {
    problems.push('CURSOR_KEYS: required when NODE_ENV=production (seals the cursors of every list)');
  }

  const auditRaw = get('AUDIT_ENABLED');
  if (auditRaw !== undefined && auditRaw !== '0' && auditRaw !== '1')
    problems.push('AUDIT_ENABLED: must be 0 or 1');
  const auditEnabled = auditRaw !== '0';
  if (!auditEnabled && production) {
    problems.push(
      'AUDIT_ENABLED: cannot be turned off in production (every read of personal data is audited)',
    );
  }
  const signingKey = get('AUDIT_SIGNING_KEY');
  if (signingKey !== undefined && !signingKey.includes('PRIVATE KEY')) {
    problems.push('AUDIT_SIGNING_KEY: must be a PKCS#8 PEM private key (Ed25519)');
  }
  if (production && signingKey === undefined) {
    problems.push('AUDIT_SIGNING_KEY: required when NODE_ENV=production (signs the audit checkpoints)');
  }
  const audit = {
    enabled: auditEnabled,
    signingKey,
    checkpointDir: path.resolve(get('AUDIT_CHECKPOINT_DIR') ?? path.join(dataDir, 'audit')),
    checkpointSeconds: int('AUDIT_CHECKPOINT_SECONDS', 10, 1, 86_400),
    bufferEvents: int('AUDIT_BUFFER_EVENTS', 10_000, 1, 1_000_000),
    flushMs: int('AUDIT_FLUSH_MS', 200, 10, 60_000),
    waitMs: int('AUDIT_WAIT_MS', 5_000, 100, 60_000),
    retentionDays: int('AUDIT_RETENTION_DAYS', 730, 1, 36_500),
    testCrashAfterCommit: get('CUSTOS_TEST_CRASH_AFTER_COMMIT') === '1',
    hmacKey: get('AUDIT_HMAC_KEY'),
    refusalWindowSeconds: int('AUDIT_REFUSAL_WINDOW_SECONDS', 60, 1, 3600),
    refusalKeys: int('AUDIT_REFUSAL_KEYS', 1000, 1, 100_000),
  };
  if (audit.hmacKey !== undefined && audit.hmacKey.length < 32) {
    problems.push('AUDIT_HMAC_KEY: must be at least 32 characters (a random secret)');
  }
  if (production && audit.hmacKey === undefined) {
    problems.push(
      "AUDIT_HMAC_KEY: required when NODE_ENV=production (keys the HMAC of refused clients' addresses)",
    );
  }
  const crashRaw = get('CUSTOS_TEST_CRASH_AFTER_COMMIT');
  if (crashRaw !== undefined && crashRaw !== '0' && crashRaw !== '1') {
    problems.push('CUSTOS_TEST_CRASH_AFTER_COMMIT: must be 0 or 1');
  } else if (crashRaw === '1' && production) {
    problems.push('CUSTOS_TEST_CRASH_AFTER_COMMIT: tests only; refused in production');
  }

  const allowAllRaw = get('CUSTOS_POLICY_ALLOW_ALL');
  if (allowAllRaw !== undefined && allowAllRaw !== '0' && allowAllRaw !== '1') {
    problems.push('CUSTOS_POLICY_ALLOW_ALL: must be 0 or 1');
  }
  const policyAllowAll = allowAllRaw === '1';
  if (policyAllowAll && production) {
    problems.push(
      'CUSTOS_POLICY_ALLOW_ALL: cannot be turned on in production (it disables the privacy policy)',
    );
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    nodeEnv,
    production,
    host,
    port,
    databaseUrl,
    databaseOwnerUrl,
    dataDir,
    seedContacts,
    logLevel,
    maxBodyBytes,
    limits,
    dbPoolMax,
    consentHmacKey,
    cursorKeys,
    controller,
    publicRateLimitPerMinute,
    aggregateMinCell,
    trustedProxies,
    policyAllowAll,
    audit,
    auth: {
      jwksUrl,
      issuer: issuer ?? DEV_ISSUER,
      audience: audience ?? DEV_AUDIENCE,
      rolesClaim,
      devTokenTtlSeconds,
    },
  };
}
