import { existsSync, statSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { errorBody, header, isLoopback, rolesClaimProblem, sendJson } from '@custos/runtime';

/**
 * The console's production serving (apps/admin's `dist/`, CONSOLE_DIR) and its runtime configuration
 * (`GET /config.json`, CONSOLE_AUTH_MODE and CONSOLE_OIDC_*): one static build serves any deployment.
 */

/** What the console reads at boot (apps/admin/src/config.ts has the same shape). */
export type ConsoleAuth =
  | { readonly mode: 'development' }
  | {
      readonly mode: 'oidc';
      readonly issuer: string;
      readonly clientId: string;
      readonly rolesClaim: string;
      readonly scope?: string;
    };

export interface ConsoleConfig {
  /** The console's build (`npm run build -w apps/admin` → apps/admin/dist), absolute; undefined: not served. */
  readonly dir: string | undefined;
  /** What `/config.json` answers; undefined: 404 (production without CONSOLE_AUTH_MODE). */
  readonly auth: ConsoleAuth | undefined;
  /** Origins besides the issuer's that the console's browser code may call (the provider's token endpoint, …). */
  readonly connectOrigins: readonly string[];
}

const MODES = ['development', 'oidc'] as const;
/** RFC 6749 §3.3: scope tokens separated by single spaces. */
const SCOPE = /^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$/;
/** A client id as providers issue them: printable, no spaces, bounded. */
const CLIENT_ID = /^[\x21-\x7E]{1,200}$/;

/**
 * The console's settings from `get`, each problem (name and rule, never the value) into `problems`.
 * `rolesClaim`: AUTH_ROLES_CLAIM, the default of CONSOLE_OIDC_ROLES_CLAIM (the console reads the claim the
 * gateway verifies).
 */
export function readConsoleConfig(
  get: (name: string) => string | undefined,
  problems: string[],
  options: { readonly production: boolean; readonly rolesClaim: string; readonly connectOrigins: string[] },
): ConsoleConfig {
  const { production } = options;
  const rawDir = get('CONSOLE_DIR');
  let dir: string | undefined;
  if (rawDir !== undefined) {
    dir = path.resolve(rawDir);
    const index = path.join(dir, 'index.html');
    if (!existsSync(index) || !statSync(index).isFile()) {
      problems.push(
        'CONSOLE_DIR: must be the console’s build directory, with its index.html (npm run build -w apps/admin)',
      );
    }
  }

  const rawMode = get('CONSOLE_AUTH_MODE') ?? (production ? undefined : 'development');
  let auth: ConsoleAuth | undefined;
  if (rawMode !== undefined && !(MODES as readonly string[]).includes(rawMode)) {
    problems.push(`CONSOLE_AUTH_MODE: must be one of ${MODES.join(', ')}`);
  } else if (rawMode === 'development') {
    if (production) {
      problems.push('CONSOLE_AUTH_MODE: development sign-in is refused when NODE_ENV=production (use oidc)');
    }
    auth = { mode: 'development' };
  } else if (rawMode === 'oidc') {
    auth = readOidc(get, problems, production, options.rolesClaim);
  } else if (dir !== undefined) {
    problems.push('CONSOLE_AUTH_MODE: required when CONSOLE_DIR is set in production (oidc)');
  }
  for (const name of ['CONSOLE_OIDC_ISSUER', 'CONSOLE_OIDC_CLIENT_ID', 'CONSOLE_OIDC_SCOPE']) {
    if (rawMode !== 'oidc' && get(name) !== undefined) {
      problems.push(`${name}: only with CONSOLE_AUTH_MODE=oidc`);
    }
  }
  return { dir, auth, connectOrigins: options.connectOrigins };
}

function readOidc(
  get: (name: string) => string | undefined,
  problems: string[],
  production: boolean,
  defaultClaim: string,
): ConsoleAuth | undefined {
  const issuer = get('CONSOLE_OIDC_ISSUER');
  const clientId = get('CONSOLE_OIDC_CLIENT_ID');
  const rolesClaim = get('CONSOLE_OIDC_ROLES_CLAIM') ?? defaultClaim;
  const scope = get('CONSOLE_OIDC_SCOPE');
  const before = problems.length;
  if (issuer === undefined) {
    problems.push('CONSOLE_OIDC_ISSUER: required when CONSOLE_AUTH_MODE=oidc');
  } else {
    let url: URL | undefined;
    try {
      url = new URL(issuer);
    } catch {
      problems.push('CONSOLE_OIDC_ISSUER: must be a valid URL');
    }
    if (url && url.protocol !== 'https:' && url.protocol !== 'http:') {
      problems.push('CONSOLE_OIDC_ISSUER: must be a URL with scheme https or http');
    } else if (url && (url.search !== '' || url.hash !== '')) {
      problems.push('CONSOLE_OIDC_ISSUER: must have no query or fragment (OpenID Connect Discovery §3)');
    } else if (url && production && url.protocol === 'http:' && !isLoopback(url.hostname)) {
      problems.push('CONSOLE_OIDC_ISSUER: must use https (http only on a loopback address) in production');
    }
  }
  if (clientId === undefined) problems.push('CONSOLE_OIDC_CLIENT_ID: required when CONSOLE_AUTH_MODE=oidc');
  else if (!CLIENT_ID.test(clientId))
    problems.push('CONSOLE_OIDC_CLIENT_ID: must be 1 to 200 printable characters without spaces');
  const claimProblem = rolesClaimProblem('CONSOLE_OIDC_ROLES_CLAIM', rolesClaim);
  if (claimProblem) problems.push(claimProblem);
  if (scope !== undefined && (!SCOPE.test(scope) || !scope.split(' ').includes('openid'))) {
    problems.push('CONSOLE_OIDC_SCOPE: must be space-separated scopes including openid');
  }
  if (problems.length > before || issuer === undefined || clientId === undefined) return undefined;
  return { mode: 'oidc', issuer, clientId, rolesClaim, ...(scope !== undefined ? { scope } : {}) };
}

/**
 * The console's Content-Security-Policy. Scripts, fonts and images from its own origin only (it loads nothing
 * from the internet). Styles need 'unsafe-inline': MUI styles through emotion, which writes `<style>` elements at
 * run time, and a nonce would need index.html rendered per request (a static build has none). The identity
 * provider's origin is reachable by fetch (discovery, token, refresh) and in a frame (silent renew); its sign-in
 * page is reached by navigation, which the policy does not restrict. The console may be framed by itself only
 * (the silent renew callback).
 */
export function consoleCsp(config: ConsoleConfig): string {
  const provider = config.auth?.mode === 'oidc' ? [new URL(config.auth.issuer).origin] : [];
  const connect = ["'self'", ...provider, ...config.connectOrigins];
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    `connect-src ${[...new Set(connect)].join(' ')}`,
    `frame-src ${["'self'", ...provider].join(' ')}`,
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'self'",
    "object-src 'none'",
  ].join('; ');
}

/** `GET /config.json`: the console's runtime configuration, never cached (a deployment may change it). */
export function consoleConfigRoute(auth: ConsoleAuth) {
  const body = { auth };
  return (req: IncomingMessage, res: ServerResponse): number => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendJson(res, 405, errorBody('Use GET', 'METHOD_NOT_ALLOWED'), { allow: 'GET, HEAD' });
      return 405;
    }
    sendJson(res, 200, body);
    return 200;
  };
}

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.txt': 'text/plain; charset=utf-8',
};
/** Vite's output: every file under assets/ has a content hash in its name and never changes. */
const HASHED = /^\/assets\//;
const IMMUTABLE = 'public, max-age=31536000, immutable';

/** A navigation by a browser (an address typed, a link, a redirect back from the provider), not a fetch of a file. */
function isNavigation(req: IncomingMessage, pathname: string): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const mode = header(req, 'sec-fetch-mode');
  if (mode !== undefined) return mode === 'navigate';
  const last = pathname.split('/').pop() ?? '';
  return (header(req, 'accept') ?? '').includes('text/html') && !last.includes('.');
}

/**
 * The console's static files from `config.dir`: a file as it is (hashed assets cached for a year, anything else
 * revalidated), `index.html` for a navigation to any other path (the callback of the sign-in, a bookmark), and
 * undefined — the caller's 404 — for the rest. No directory listing, no dot-file, nothing outside the directory.
 */
export function consoleRoute(config: ConsoleConfig & { readonly dir: string }) {
  const root = config.dir;
  const headers = {
    'content-security-policy': consoleCsp(config),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
  };

  async function send(req: IncomingMessage, res: ServerResponse, file: string, cache: string) {
    const body = await readFile(file);
    res.writeHead(200, {
      ...headers,
      'content-type': TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
      'content-length': body.length,
      'cache-control': cache,
    });
    res.end(req.method === 'HEAD' ? undefined : body);
    return 200;
  }

  return async (req: IncomingMessage, res: ServerResponse, pathname: string): Promise<number | undefined> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return undefined;
    let decoded: string;
    try {
      decoded = decodeURIComponent(pathname);
    } catch {
      sendJson(res, 400, errorBody('Malformed path', 'BAD_REQUEST'));
      return 400;
    }
    const segments = decoded.split('/');
    // `..`, `.git`, a NUL or a backslash: never a file of the build, so never looked up (path traversal).
    if (segments.some((s) => s.startsWith('.')) || /[\0\\]/.test(decoded)) {
      sendJson(res, 404, errorBody('Not found', 'NOT_FOUND'));
      return 404;
    }
    // The console's own address is the app, however it was asked for.
    if (decoded === '/') return send(req, res, path.join(root, 'index.html'), 'no-cache');
    const file = path.join(root, ...segments);
    if (file === root || file.startsWith(root + path.sep)) {
      const found = await stat(file).catch(() => undefined);
      if (found?.isFile()) {
        const index = path.basename(file) === 'index.html';
        return send(req, res, file, HASHED.test(decoded) && !index ? IMMUTABLE : 'no-cache');
      }
    }
    if (isNavigation(req, pathname)) return send(req, res, path.join(root, 'index.html'), 'no-cache');
    return undefined;
  };
}
