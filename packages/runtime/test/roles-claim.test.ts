import { ROLE_PURPOSES } from '@custos/policy';
import { exportJWK, generateKeyPair, type JSONWebKeySet, type JWTPayload, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, rolesClaimProblem } from '../src/config.js';
import { UnauthenticatedError } from '../src/errors.js';
import { createTokenVerifier } from '../src/identity/verify.js';

/** AUTH_ROLES_CLAIM: the roles under the claim a provider can write (Auth0 and others reserve plain names). */
const NAMESPACED = 'https://custos.example/roles';
const ISSUER = 'https://idp.example';
const AUDIENCE = 'custos';

describe('AUTH_ROLES_CLAIM', () => {
  it('defaults to roles and takes a plain or a namespaced claim name', () => {
    expect(loadConfig({}).auth.rolesClaim).toBe('roles');
    for (const claim of [
      'custos_roles',
      'cognito:groups',
      NAMESPACED,
      'urn:custos:roles',
      'http://x.example/r',
    ]) {
      expect(loadConfig({ AUTH_ROLES_CLAIM: claim }).auth.rolesClaim).toBe(claim);
      expect(rolesClaimProblem('AUTH_ROLES_CLAIM', claim)).toBeUndefined();
    }
  });

  it('refuses what cannot name a claim, or names a registered one, naming the variable and never the value', () => {
    const notAName =
      'AUTH_ROLES_CLAIM: must be a claim name (letters, digits, _ . : -) or a namespaced claim URL such as https://example.com/roles';
    const registered = 'AUTH_ROLES_CLAIM: must not be a registered claim (sub, iss, aud, …)';
    const refused = {
      'two words': notAName,
      'a/b': notAName,
      'javascript:alert(1)': notAName,
      'https://': notAName,
      '{roles}': notAName,
      ['x'.repeat(201)]: notAName,
      sub: registered,
      aud: registered,
      exp: registered,
    };
    for (const [claim, expected] of Object.entries(refused)) {
      const problem = rolesClaimProblem('AUTH_ROLES_CLAIM', claim);
      expect(problem, claim).toBe(expected);
      let thrown: unknown;
      try {
        loadConfig({ AUTH_ROLES_CLAIM: claim });
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(ConfigError);
      expect((thrown as ConfigError).problems).toEqual([problem]);
    }
  });
});

describe('the token verifier with a roles claim', () => {
  let sign: (claims: JWTPayload) => Promise<string>;
  let localJwks: JSONWebKeySet;

  beforeAll(async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    localJwks = { keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' }] };
    sign = (claims) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
        .setSubject('alice')
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setExpirationTime('5m')
        .sign(privateKey);
  });

  const verifier = (rolesClaim?: string) =>
    createTokenVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      localJwks,
      ...(rolesClaim ? { rolesClaim } : {}),
    });

  it('reads the roles from the configured claim', async () => {
    const token = await sign({ [NAMESPACED]: ['privacy_officer', 'not_a_role'] });
    const purpose = ROLE_PURPOSES.privacy_officer[0];
    expect(await verifier(NAMESPACED)(`Bearer ${token}`, purpose)).toEqual({
      sub: 'alice',
      roles: ['privacy_officer'],
      purpose,
    });
  });

  it('ignores `roles` when another claim is configured, and the namespaced claim when not', async () => {
    const plain = await sign({ roles: ['admin'] });
    const namespaced = await sign({ [NAMESPACED]: ['admin'] });
    const purpose = ROLE_PURPOSES.admin[0];
    await expect(verifier(NAMESPACED)(`Bearer ${plain}`, purpose)).rejects.toMatchObject({
      reason: 'TOKEN_ROLES',
    });
    await expect(verifier()(`Bearer ${namespaced}`, purpose)).rejects.toBeInstanceOf(UnauthenticatedError);
    expect((await verifier()(`Bearer ${plain}`, purpose)).roles).toEqual(['admin']);
  });

  it('never takes an inherited property for the claim', async () => {
    const token = await sign({ roles: ['admin'] });
    await expect(verifier('constructor')(`Bearer ${token}`, ROLE_PURPOSES.admin[0])).rejects.toMatchObject({
      reason: 'TOKEN_ROLES',
    });
  });
});
