import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadGatewayConfig } from '../src/config.js';
import { consoleCsp, readConsoleConfig } from '../src/console.js';

/** The console's settings (CONSOLE_*): what config.json answers, and every refusal by name and rule. */
function read(env: Record<string, string>, production: boolean, rolesClaim = 'roles') {
  const problems: string[] = [];
  const config = readConsoleConfig((name) => env[name], problems, {
    production,
    rolesClaim,
    connectOrigins: [],
  });
  return { config, problems };
}

const ISSUER = 'https://login.example.com/tenant';
const OIDC = { CONSOLE_AUTH_MODE: 'oidc', CONSOLE_OIDC_ISSUER: ISSUER, CONSOLE_OIDC_CLIENT_ID: 'console' };

describe('the console’s configuration', () => {
  it('is the development sign-in outside production, and none in production unless told', () => {
    expect(read({}, false)).toEqual({
      config: { dir: undefined, auth: { mode: 'development' }, connectOrigins: [] },
      problems: [],
    });
    expect(read({}, true)).toEqual({
      config: { dir: undefined, auth: undefined, connectOrigins: [] },
      problems: [],
    });
  });

  it('refuses the development sign-in in production, and a console served in production without OIDC', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'custos-console-'));
    writeFileSync(path.join(dir, 'index.html'), '<!doctype html>');
    expect(read({ CONSOLE_AUTH_MODE: 'development' }, true).problems).toEqual([
      'CONSOLE_AUTH_MODE: development sign-in is refused when NODE_ENV=production (use oidc)',
    ]);
    expect(read({ CONSOLE_DIR: dir }, true).problems).toEqual([
      'CONSOLE_AUTH_MODE: required when CONSOLE_DIR is set in production (oidc)',
    ]);
    expect(read({ CONSOLE_DIR: dir, ...OIDC }, true)).toEqual({
      config: {
        dir,
        auth: { mode: 'oidc', issuer: ISSUER, clientId: 'console', rolesClaim: 'roles' },
        connectOrigins: [],
      },
      problems: [],
    });
  });

  it('reads the roles claim the gateway verifies unless the console is told another', () => {
    const claim = 'https://custos.example/roles';
    expect(read(OIDC, true, claim).config.auth).toMatchObject({ rolesClaim: claim });
    expect(read({ ...OIDC, CONSOLE_OIDC_ROLES_CLAIM: 'groups' }, true, claim).config.auth).toMatchObject({
      rolesClaim: 'groups',
    });
    const config = loadGatewayConfig({ AUTH_ROLES_CLAIM: claim, ...OIDC });
    expect(config.auth.rolesClaim).toBe(claim);
    expect(config.console.auth).toEqual({
      mode: 'oidc',
      issuer: ISSUER,
      clientId: 'console',
      rolesClaim: claim,
    });
  });

  it('names each bad setting and its rule, never its value', () => {
    const secretish = 'hunter2 with spaces';
    const { problems, config } = read(
      {
        CONSOLE_DIR: path.join(os.tmpdir(), 'no-such-console-build'),
        CONSOLE_AUTH_MODE: 'oidc',
        CONSOLE_OIDC_ISSUER: 'http://login.example.com',
        CONSOLE_OIDC_CLIENT_ID: secretish,
        CONSOLE_OIDC_ROLES_CLAIM: secretish,
        CONSOLE_OIDC_SCOPE: 'profile email',
      },
      true,
    );
    expect(config.auth).toBeUndefined();
    expect(problems).toEqual([
      'CONSOLE_DIR: must be the console’s build directory, with its index.html (npm run build -w apps/admin)',
      'CONSOLE_OIDC_ISSUER: must use https (http only on a loopback address) in production',
      'CONSOLE_OIDC_CLIENT_ID: must be 1 to 200 printable characters without spaces',
      'CONSOLE_OIDC_ROLES_CLAIM: must be a claim name (letters, digits, _ . : -) or a namespaced claim URL such as https://example.com/roles',
      'CONSOLE_OIDC_SCOPE: must be space-separated scopes including openid',
    ]);
    expect(read({ CONSOLE_AUTH_MODE: 'oidc' }, false).problems).toEqual([
      'CONSOLE_OIDC_ISSUER: required when CONSOLE_AUTH_MODE=oidc',
      'CONSOLE_OIDC_CLIENT_ID: required when CONSOLE_AUTH_MODE=oidc',
    ]);
    expect(read({ CONSOLE_AUTH_MODE: 'saml' }, false).problems).toEqual([
      'CONSOLE_AUTH_MODE: must be one of development, oidc',
    ]);
    expect(read({ CONSOLE_OIDC_ISSUER: ISSUER }, false).problems).toEqual([
      'CONSOLE_OIDC_ISSUER: only with CONSOLE_AUTH_MODE=oidc',
    ]);
    expect(
      read({ ...OIDC, CONSOLE_OIDC_ISSUER: 'https://login.example.com/?tenant=x' }, false).problems,
    ).toEqual(['CONSOLE_OIDC_ISSUER: must have no query or fragment (OpenID Connect Discovery §3)']);
    // A provider on this machine's loopback may use plain http, in production too.
    expect(read({ ...OIDC, CONSOLE_OIDC_ISSUER: 'http://127.0.0.1:9000' }, true).problems).toEqual([]);
  });

  it('lets the console reach its provider and nothing else beyond its own origin', () => {
    const { config } = read({ ...OIDC, CONSOLE_OIDC_SCOPE: 'openid offline_access' }, true);
    const csp = consoleCsp({ ...config, connectOrigins: ['https://tokens.example.com'] });
    expect(csp.split('; ')).toEqual([
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self' 'unsafe-inline'",
      "img-src 'self' data:",
      "font-src 'self' data:",
      "connect-src 'self' https://login.example.com https://tokens.example.com",
      "frame-src 'self' https://login.example.com",
      "manifest-src 'self'",
      "base-uri 'none'",
      "form-action 'self'",
      "frame-ancestors 'self'",
      "object-src 'none'",
    ]);
    expect(consoleCsp(read({}, false).config)).toContain("connect-src 'self'; frame-src 'self';");
  });
});
