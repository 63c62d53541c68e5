import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { exportJWK, generateKeyPair, importJWK, type JWK, SignJWT } from 'jose';
import { DEV_AUDIENCE, DEV_ISSUER } from '../config.js';

/**
 * Development identity: an ES256 key pair made on first use under `<dataDir>/keys/`, its public half served
 * as JWKS by the subgraph. Never used in production (config refuses the development issuer there, and the
 * token command refuses to run).
 */
export interface DevKeys {
  readonly kid: string;
  readonly privateJwk: JWK;
  readonly publicJwks: { keys: JWK[] };
}

const ALG = 'ES256';

export async function loadOrCreateDevKeys(dataDir: string): Promise<DevKeys> {
  const dir = path.join(dataDir, 'keys');
  const file = path.join(dir, 'dev-signing-key.jwk.json');
  let privateJwk: JWK;
  if (existsSync(file)) {
    privateJwk = JSON.parse(await readFile(file, 'utf8')) as JWK;
  } else {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const { privateKey } = await generateKeyPair(ALG, { extractable: true });
    privateJwk = {
      ...(await exportJWK(privateKey)),
      alg: ALG,
      use: 'sig',
      kid: `dev-${Date.now().toString(36)}`,
    };
    await createOnce(file, JSON.stringify(privateJwk));
    // Two processes starting at once: the key that was linked first is everyone's.
    privateJwk = JSON.parse(await readFile(file, 'utf8')) as JWK;
  }
  const { d: _private, ...publicJwk } = privateJwk;
  return { kid: String(privateJwk.kid), privateJwk, publicJwks: { keys: [publicJwk] } };
}

export interface DevTokenOptions {
  readonly sub: string;
  readonly roles: readonly string[];
  readonly ttlSeconds: number;
  readonly now?: Date;
}

export async function signDevToken(keys: DevKeys, options: DevTokenOptions): Promise<string> {
  const key = await importJWK(keys.privateJwk, ALG);
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  return new SignJWT({ roles: [...options.roles] })
    .setProtectedHeader({ alg: ALG, kid: keys.kid, typ: 'JWT' })
    .setSubject(options.sub)
    .setIssuer(DEV_ISSUER)
    .setAudience(DEV_AUDIENCE)
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + options.ttlSeconds)
    .sign(key);
}

/**
 * A random secret kept under `<dataDir>/keys/<name>` (created on first use, 0600), for development: production
 * takes its secrets from the environment (config refuses to start without them).
 */
export async function loadOrCreateSecret(
  dataDir: string,
  name: string,
  make: () => string = () => randomBytes(32).toString('base64url'),
): Promise<Buffer> {
  const dir = path.join(dataDir, 'keys');
  const file = path.join(dir, name);
  if (!existsSync(file)) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await createOnce(file, make());
  }
  return Buffer.from((await readFile(file, 'utf8')).trim());
}

/**
 * Writes `content` to `file` (0600) unless it exists, atomically: written aside, then linked into place. link()
 * never replaces a file, so when two processes create it at once the first one's content is everyone's, and no
 * reader ever sees it half-written.
 */
async function createOnce(file: string, content: string): Promise<void> {
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(tmp, content, { mode: 0o600 });
  try {
    await link(tmp, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    await unlink(tmp);
  }
}
