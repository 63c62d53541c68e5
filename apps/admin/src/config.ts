/**
 * The console's runtime configuration: `config.json` from its own origin, read once at boot, so that one static
 * build serves any deployment (the gateway answers it from its environment, README "Serving the console in
 * production"; in development Vite forwards it to the gateway). Without it the console shows why and stops.
 */
export interface OidcAuthConfig {
  readonly mode: 'oidc';
  /** The provider's issuer URL (its discovery document is `<issuer>/.well-known/openid-configuration`). */
  readonly issuer: string;
  readonly clientId: string;
  /** The access token's claim holding the roles (the gateway's AUTH_ROLES_CLAIM). */
  readonly rolesClaim: string;
  /** Space-separated scopes asked for; `openid` unless told. */
  readonly scope?: string;
}

export type AuthConfig = { readonly mode: 'development' } | OidcAuthConfig;

export interface ConsoleConfig {
  readonly auth: AuthConfig;
}

export const DEVELOPMENT_CONFIG: ConsoleConfig = { auth: { mode: 'development' } };

/** Why the configuration could not be used: an i18n key under `custos.config` and what it needs. */
export class ConfigLoadError extends Error {
  constructor(
    readonly key: 'unreachable' | 'invalid',
    readonly detail: string,
  ) {
    super(detail);
    this.name = 'ConfigLoadError';
  }
}

const text = (value: unknown): value is string => typeof value === 'string' && value.trim() !== '';

/** `value` as a configuration, or a ConfigLoadError naming the first field that is wrong (never its value). */
export function parseConsoleConfig(value: unknown): ConsoleConfig {
  const invalid = (field: string) => new ConfigLoadError('invalid', field);
  if (typeof value !== 'object' || value === null) throw invalid('config.json');
  const auth = (value as { auth?: unknown }).auth;
  if (typeof auth !== 'object' || auth === null) throw invalid('auth');
  const fields = auth as Record<string, unknown>;
  if (fields.mode === 'development') return { auth: { mode: 'development' } };
  if (fields.mode !== 'oidc') throw invalid('auth.mode');
  const { issuer, clientId, rolesClaim, scope } = fields;
  if (!text(issuer) || !URL.canParse(issuer) || !/^https?:$/.test(new URL(issuer).protocol)) {
    throw invalid('auth.issuer');
  }
  if (!text(clientId)) throw invalid('auth.clientId');
  if (!text(rolesClaim)) throw invalid('auth.rolesClaim');
  if (scope !== undefined && (!text(scope) || !scope.split(' ').includes('openid')))
    throw invalid('auth.scope');
  return {
    auth: { mode: 'oidc', issuer, clientId, rolesClaim, ...(scope !== undefined ? { scope } : {}) },
  };
}

/** Fetches and checks `config.json`; never cached by the browser (a deployment may change it). */
export async function loadConsoleConfig(
  request: typeof fetch = (input, init) => fetch(input, init),
  url = '/config.json',
): Promise<ConsoleConfig> {
  let response: Response;
  try {
    response = await request(url, { cache: 'no-store', headers: { accept: 'application/json' } });
  } catch {
    throw new ConfigLoadError('unreachable', url);
  }
  if (!response.ok) throw new ConfigLoadError('unreachable', `${url} (HTTP ${response.status})`);
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    throw new ConfigLoadError('invalid', url);
  }
  return parseConsoleConfig(body);
}
