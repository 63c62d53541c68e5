import { BlockList } from 'node:net';
import path from 'node:path';
import {
  type Config,
  ConfigError,
  DEFAULT_LIMITS,
  type Env,
  envReader,
  isLoopback,
  loadConfig,
  parseTrustedProxies,
  type QueryLimits,
  readRolesClaim,
  repoRoot,
} from '@custos/runtime';
import { type ConsoleConfig, readConsoleConfig } from './console.js';

// Document limits of the edge: the subgraph's, with its defaults (packages/runtime/src/limits.ts).
export type { QueryLimits };
export { ConfigError };

/**
 * The gateway's configuration, from environment variables only, validated once at start. Like the
 * subgraph's (packages/runtime/src/config.ts): every bad value is reported by name and rule, never by value.
 */
export interface GatewayConfig {
  readonly production: boolean;
  readonly host: string;
  readonly port: number;
  readonly logLevel: string;
  /** The composed supergraph SDL (`npm run compose`). */
  readonly supergraphPath: string;
  /** Subgraph URLs replacing the supergraph's `join__graph` ones, by subgraph name. */
  readonly subgraphUrls: Readonly<Record<string, string>>;
  readonly maxBodyBytes: number;
  /**
   * The direct path's HTTP client (GATEWAY_SUBGRAPH_CLIENT): `custom`, the hand-written one (subgraph-client.ts,
   * the default), or `undici`, undici's Pool behind the same interface (subgraph-client-undici.ts), kept to
   * measure the two against each other (bench/README.md, "Gateway cost").
   */
  readonly subgraphClient: SubgraphClientKind;
  readonly limits: QueryLimits;
  readonly corsOrigins: readonly string[];
  /** Origins of the company's own forms, which may post to `/public/*` from a browser (PUBLIC_FORM_ORIGINS). */
  readonly publicFormOrigins: readonly string[];
  /** Proxies in front of the gateway whose X-Forwarded-For it passes on to `/public/*` (TRUSTED_PROXIES). */
  readonly trustedProxies: BlockList;
  readonly auth: {
    readonly jwksUrl: string;
    readonly issuer: string;
    readonly audience: string;
    /** The claim holding the roles (AUTH_ROLES_CLAIM, default `roles`), as the subgraphs read it. */
    readonly rolesClaim: string;
    readonly devTokenTtlSeconds: number;
  };
  /** The console's build and its `/config.json` (console.ts: CONSOLE_DIR, CONSOLE_AUTH_MODE, CONSOLE_OIDC_*). */
  readonly console: ConsoleConfig;
  /**
   * The audit trail of the requests the gateway refuses (HTTP 401/403), written through the subgraphs' own audit
   * writer into the same chain as DATABASE_URL, the gateway's own role (`custos_gateway`), which holds the audit
   * writer's privileges (AUDIT_WRITER_GRANTS) and nothing else, with the AUDIT_* settings read as the subgraphs
   * read them; DATABASE_OWNER_URL, when given, grants that role its privileges at start. Required in
   * production; elsewhere, without it, the gateway's refusals are not in the trail, and it says so at start.
   */
  readonly audit: Config | undefined;
}

export const SUBGRAPH_CLIENTS = ['custom', 'undici'] as const;

/** Whether this Node is at least `major.minor` (undici 8 needs 22.19; the project runs from 22.17). */
function nodeAtLeast(major: number, minor: number): boolean {
  const [a = 0, b = 0] = process.versions.node.split('.').map(Number);
  return a > major || (a === major && b >= minor);
}
export type SubgraphClientKind = (typeof SUBGRAPH_CLIENTS)[number];

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
/** Development: the subgraph's own key set (DESIGN.md, "HTTP and identity"). */
const DEV_JWKS_URL = 'http://127.0.0.1:4001/.well-known/jwks.json';
const SUBGRAPH_URL_VARIABLES = { custos: 'CUSTOS_SUBGRAPH_URL', tickets: 'TICKETS_SUBGRAPH_URL' } as const;

export function loadGatewayConfig(env: Env = process.env): GatewayConfig {
  const problems: string[] = [];
  const { get, int } = envReader(env, problems);
  /** An http(s) URL; in production plain http only on a loopback address (a sidecar on this host). */
  const httpUrl = (name: string, production: boolean): string | undefined => {
    const raw = get(name);
    if (raw === undefined) return undefined;
    let parsed: URL;
    try {
      parsed = new URL(raw);
    } catch {
      problems.push(`${name}: must be a valid URL`);
      return undefined;
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
      problems.push(`${name}: must be a URL with scheme https or http`);
    } else if (production && parsed.protocol === 'http:' && !isLoopback(parsed.hostname)) {
      problems.push(`${name}: must use https (http only on a loopback address) in production`);
    }
    return raw;
  };

  const nodeEnv = get('NODE_ENV') ?? 'development';
  if (!['production', 'development', 'test'].includes(nodeEnv)) {
    problems.push('NODE_ENV: must be one of production, development, test');
  }
  const production = nodeEnv === 'production';
  const logLevel = get('LOG_LEVEL') ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL: must be one of ${LOG_LEVELS.join(', ')}`);

  const subgraphUrls: Record<string, string> = {};
  for (const [name, variable] of Object.entries(SUBGRAPH_URL_VARIABLES)) {
    const url = httpUrl(variable, production);
    if (url) subgraphUrls[name] = url;
  }

  const subgraphClient = get('GATEWAY_SUBGRAPH_CLIENT') ?? 'custom';
  const isClientKind = (value: string): value is SubgraphClientKind =>
    (SUBGRAPH_CLIENTS as readonly string[]).includes(value);
  if (!isClientKind(subgraphClient))
    problems.push(`GATEWAY_SUBGRAPH_CLIENT: must be one of ${SUBGRAPH_CLIENTS.join(', ')}`);
  else if (subgraphClient === 'undici' && !nodeAtLeast(22, 19))
    problems.push('GATEWAY_SUBGRAPH_CLIENT: undici needs Node 22.19 or later');

  const origins = (name: string, fallback: string): string[] => {
    const list = (get(name) ?? fallback)
      .split(',')
      .map((origin) => origin.trim())
      .filter(Boolean);
    // An origin is scheme://host[:port], nothing more; `*` would hand personal data to any web page.
    if (list.some((origin) => !/^https?:\/\/[^/\s*]+$/.test(origin))) {
      problems.push(`${name}: must be a comma-separated list of origins like https://console.example.com`);
    }
    return list;
  };
  const corsOrigins = origins('CORS_ORIGINS', 'http://localhost:5173,http://127.0.0.1:5173');
  const publicFormOrigins = origins('PUBLIC_FORM_ORIGINS', '');
  const proxies = parseTrustedProxies(get('TRUSTED_PROXIES'));
  if (typeof proxies === 'string') problems.push(proxies);

  const jwksUrl = httpUrl('AUTH_JWKS_URL', production);
  const issuer = get('AUTH_ISSUER');
  const audience = get('AUTH_AUDIENCE');
  const rolesClaim = readRolesClaim(get, problems);
  const consoleConfig = readConsoleConfig(get, problems, {
    production,
    rolesClaim,
    connectOrigins: origins('CONSOLE_CONNECT_ORIGINS', ''),
  });
  if (production) {
    // DESIGN.md: production needs a real identity provider and never accepts development tokens.
    if (!get('AUTH_JWKS_URL')) problems.push('AUTH_JWKS_URL: required when NODE_ENV=production');
    if (!issuer) problems.push('AUTH_ISSUER: required when NODE_ENV=production');
    else if (issuer === 'custos-dev') {
      problems.push('AUTH_ISSUER: must not be the development issuer in production');
    }
    if (!audience) problems.push('AUTH_AUDIENCE: required when NODE_ENV=production');
    // Every refusal at the edge is audited (GDPR Art 5(2), 30; README: audit trail): never only in a log.
    if (!get('DATABASE_URL')) {
      problems.push(
        'DATABASE_URL: required when NODE_ENV=production (the gateway’s own database role, which writes its refusals into the audit trail)',
      );
    }
  }

  const config: Omit<GatewayConfig, 'audit'> = {
    production,
    host: get('HOST') ?? '127.0.0.1',
    port: int('PORT', 4000, 0, 65535),
    logLevel,
    supergraphPath: path.resolve(get('SUPERGRAPH_PATH') ?? path.join(repoRoot(), 'supergraph.graphql')),
    subgraphUrls,
    maxBodyBytes: int('MAX_BODY_BYTES', 1_048_576, 1024, 104_857_600),
    subgraphClient: isClientKind(subgraphClient) ? subgraphClient : 'custom',
    limits: {
      maxDepth: int('MAX_QUERY_DEPTH', DEFAULT_LIMITS.maxDepth, 1, 100),
      maxAliases: int('MAX_QUERY_ALIASES', DEFAULT_LIMITS.maxAliases, 0, 10_000),
      maxTokens: int('MAX_QUERY_TOKENS', DEFAULT_LIMITS.maxTokens, 100, 1_000_000),
      maxCost: int('MAX_QUERY_COST', DEFAULT_LIMITS.maxCost, 1, 1_000_000_000),
    },
    corsOrigins,
    publicFormOrigins,
    trustedProxies: typeof proxies === 'string' ? new BlockList() : proxies.list,
    console: consoleConfig,
    auth: {
      jwksUrl: jwksUrl ?? DEV_JWKS_URL,
      issuer: issuer ?? 'custos-dev',
      audience: audience ?? 'custos',
      rolesClaim,
      devTokenTtlSeconds: int('DEV_TOKEN_TTL_SECONDS', 3600, 60, 86_400),
    },
  };
  let audit: Config | undefined;
  if (get('DATABASE_URL')) {
    try {
      // Its refusals only: no consent ledger, no list (the subgraphs seal the cursors).
      audit = loadConfig(env, { port: config.port, consentLedger: false, cursors: false });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      for (const problem of error.problems) {
        if (!problems.includes(problem)) problems.push(problem);
      }
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { ...config, audit };
}
