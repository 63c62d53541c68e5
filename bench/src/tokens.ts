// The run's keys and identity provider, so that Custos runs as it is deployed: NODE_ENV=production (graphql-js
// and other libraries take their fast paths only then, as PostGraphile does with GRAPHILE_ENV=production),
// verifying an ES256 token against a JWKS fetched over loopback, as from an identity-provider sidecar.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import http from 'node:http';
import { ROLES, type Role } from '@custos/policy';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { freePort } from './loopback.js';

export const BENCH_ISSUER = 'custos-bench';
export const BENCH_AUDIENCE = 'custos';
/** The support agent's token subject: the audit events' `actor_sub` (the audit section counts them by it). */
export const BENCH_SUBJECT = 'bench';

/** Fresh keys every run, for what the subgraph and the gateway require in production. */
export const BENCH_KEYS = {
  /** Consent evidence (the bench records none, but production requires the key). */
  consent: randomBytes(32).toString('base64url'),
  /** Seals the cursors of every list (CURSOR_KEYS). */
  cursors: `bench:${randomBytes(32).toString('base64url')}`,
  /** The HMAC of refused clients' addresses in the audit trail. */
  auditHmac: randomBytes(32).toString('base64url'),
  /** Ed25519, signs the audit trail's checkpoints. */
  auditSigning: generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
} as const;

export interface Identity {
  readonly jwksUrl: string;
  /** A `support_agent`'s token (subject BENCH_SUBJECT). */
  readonly token: string;
  /** A `marketer`'s token (the consent section). */
  readonly marketerToken: string;
  /** A token of each role alone, subject `bench-<role>` (the scale section's purposes). */
  readonly roleTokens: Readonly<Record<Role, string>>;
  close(): void;
}

/** Serves the run's JWKS on a free loopback port and signs its tokens (valid 6 hours). */
export async function startIdentityProvider(): Promise<Identity> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'bench', alg: 'ES256', use: 'sig' };
  const server = http.createServer((req, res) => {
    if (req.url !== '/jwks.json') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const sign = (roles: readonly string[], subject: string) =>
    new SignJWT({ roles })
      .setProtectedHeader({ alg: 'ES256', kid: 'bench', typ: 'JWT' })
      .setSubject(subject)
      .setIssuer(BENCH_ISSUER)
      .setAudience(BENCH_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime('6h')
      .sign(privateKey);
  return {
    jwksUrl: `http://127.0.0.1:${port}/jwks.json`,
    token: await sign(['support_agent'], BENCH_SUBJECT),
    marketerToken: await sign(['marketer'], 'bench-marketer'),
    roleTokens: Object.fromEntries(
      await Promise.all(ROLES.map(async (role) => [role, await sign([role], `bench-${role}`)] as const)),
    ) as Record<Role, string>,
    close: () => server.close(),
  };
}
