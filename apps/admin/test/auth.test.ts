import {
  decideField,
  fieldVisibility,
  isPersonalField,
  OPERATIONS,
  ORDINARY_CONTACT,
  PURPOSE_DEFINITIONS,
  type Purpose,
  purposesForRoles,
  ROLE_PURPOSES,
  ROLES,
} from '@custos/policy';
import { describe, expect, it } from 'vitest';
import { RESOURCE_OPERATIONS } from '../src/auth/access';
import { createAuthProvider } from '../src/auth/authProvider';
import { choosePurpose, currentPurpose, startSession } from '../src/auth/session';
import { CONTACT_WRITABLE } from '../src/data/contacts';
import { fakeToken, json, recordingFetch } from './support';

const signal = new AbortController().signal;

describe('development sign-in', () => {
  it('POSTs the subject and the chosen role to /dev/token and keeps the token in sessionStorage only', async () => {
    const token = fakeToken({ sub: 'alice', roles: ['privacy_officer'] });
    const { fetch, calls } = recordingFetch([
      () => json({ token, expiresAt: new Date(Date.now() + 3600_000) }),
    ]);
    const auth = createAuthProvider({ fetch });
    await auth.login({ sub: 'alice', role: 'privacy_officer' });
    expect(calls).toHaveLength(1);
    expect(calls[0]?.url).toBe('/dev/token');
    expect(calls[0]?.init.method).toBe('POST');
    expect(calls[0]?.body).toEqual({ sub: 'alice', roles: ['privacy_officer'] });
    expect(sessionStorage.getItem('custos.session')).toBe(token);
    expect(Object.keys(localStorage)).toEqual([]);
    await expect(auth.checkAuth({})).resolves.toBeUndefined();
    expect(await auth.getIdentity?.()).toEqual({ id: 'alice', fullName: 'alice' });
    expect(await auth.getPermissions?.({})).toEqual({
      roles: ['privacy_officer'],
      purposes: [...ROLE_PURPOSES.privacy_officer],
    });
  });

  it('refuses with the endpoint’s message and keeps no session when the endpoint refuses', async () => {
    const { fetch } = recordingFetch([
      () => json({ errors: [{ message: 'development tokens are refused in production' }] }, 404),
    ]);
    const auth = createAuthProvider({ fetch });
    await expect(auth.login({ sub: 'alice', role: 'admin' })).rejects.toThrow(
      'development tokens are refused in production',
    );
    expect(sessionStorage.getItem('custos.session')).toBeNull();
    await expect(auth.checkAuth({})).rejects.toEqual({ message: false });
  });

  it('asks to sign in again once the token has expired, saying why', async () => {
    startSession(fakeToken({ sub: 'bob', roles: ['support_agent'], exp: Math.floor(Date.now() / 1000) - 1 }));
    const auth = createAuthProvider();
    await expect(auth.checkAuth({})).rejects.toEqual({ message: 'custos.auth.expired' });
    expect(sessionStorage.getItem('custos.session')).toBeNull();
  });

  it('ends the session on a 401 from the server but not on a 403', async () => {
    startSession(fakeToken({ sub: 'bob', roles: ['support_agent'] }));
    const auth = createAuthProvider();
    await expect(auth.checkError({ status: 403 })).resolves.toBeUndefined();
    expect(sessionStorage.getItem('custos.session')).not.toBeNull();
    await expect(auth.checkError({ status: 401 })).rejects.toEqual({ message: 'custos.auth.expired' });
    expect(sessionStorage.getItem('custos.session')).toBeNull();
  });
});

describe('the declared purpose', () => {
  it('is the first purpose the roles hold until another held one is chosen, and refuses one not held', () => {
    startSession(fakeToken({ sub: 'carol', roles: ['marketer'] }));
    const held = ROLE_PURPOSES.marketer;
    expect(held.length).toBeGreaterThan(1);
    expect(currentPurpose()).toBe(held[0]);
    choosePurpose(held[1] as Purpose);
    expect(currentPurpose()).toBe(held[1]);
    expect(sessionStorage.getItem('custos.purpose')).toBe(held[1]);
    const notHeld = Object.keys(PURPOSE_DEFINITIONS).find((p) => !(held as readonly string[]).includes(p));
    expect(notHeld).toBeDefined();
    expect(() => choosePurpose(notHeld as string)).toThrow();
    expect(currentPurpose()).toBe(held[1]);
  });
});

describe('canAccess, from the policy', () => {
  // Every role, every purpose it holds, every action the console maps to an operation: expected from the policy's
  // OPERATIONS table directly.
  const cases = ROLES.flatMap((role) =>
    purposesForRoles([role]).flatMap((purpose) =>
      Object.entries(RESOURCE_OPERATIONS).flatMap(([resource, { actions }]) =>
        Object.entries(actions).map(([action, operation]) => ({
          role,
          purpose,
          resource,
          action,
          expected: (OPERATIONS[operation] as readonly string[]).includes(purpose),
        })),
      ),
    ),
  );

  it('answers each action as the policy allows its operation for the declared purpose', async () => {
    expect(cases.length).toBeGreaterThan(ROLES.length);
    expect(cases.some((c) => c.expected)).toBe(true);
    expect(cases.some((c) => !c.expected)).toBe(true);
    const auth = createAuthProvider();
    for (const { role, purpose, resource, action, expected } of cases) {
      startSession(fakeToken({ sub: 'dana', roles: [role] }));
      choosePurpose(purpose);
      const answer = await auth.canAccess?.({ action, resource, signal });
      expect(answer, `${role} as ${purpose}: ${action} ${resource}`).toBe(expected);
    }
  });

  it('offers a field for writing only where the purpose may update contacts and read that field', async () => {
    const auth = createAuthProvider();
    const fieldCases = ROLES.flatMap((role) =>
      purposesForRoles([role]).flatMap((purpose) =>
        CONTACT_WRITABLE.map((field) => ({
          role,
          purpose,
          field,
          expected:
            (OPERATIONS['Mutation.updateContact'] as readonly string[]).includes(purpose) &&
            PURPOSE_DEFINITIONS[purpose].rows.contacts !== 'none' &&
            decideField(purpose, `Contact.${field}`, ORDINARY_CONTACT).allowed,
        })),
      ),
    );
    expect(fieldCases.some((c) => c.expected)).toBe(true);
    expect(fieldCases.some((c) => !c.expected)).toBe(true);
    for (const { role, purpose, field, expected } of fieldCases) {
      startSession(fakeToken({ sub: 'dana', roles: [role] }));
      choosePurpose(purpose);
      const answer = await auth.canAccess?.({ action: 'write', resource: `contacts.${field}`, signal });
      expect(answer, `${role} as ${purpose}: write ${field}`).toBe(expected);
    }
  });

  it('shows a field (read) only where the purpose may open contacts and the policy ever shows it that field', async () => {
    const auth = createAuthProvider();
    // The contact's fields the console shows (its columns, its page, its filters), personal or not.
    const fields = [
      'fullName',
      'email',
      'phone',
      'birthDate',
      'address',
      'country',
      'ipAddress',
      'healthNotes',
      'company',
      'restricted',
      'createdAt',
    ];
    const readCases = ROLES.flatMap((role) =>
      purposesForRoles([role]).flatMap((purpose) =>
        fields.map((field) => {
          const coordinate = `Contact.${field}`;
          return {
            role,
            purpose,
            field,
            expected:
              (OPERATIONS['Query.contact'] as readonly string[]).includes(purpose) &&
              (!isPersonalField(coordinate) || fieldVisibility(purpose, coordinate) !== 'never'),
          };
        }),
      ),
    );
    expect(readCases.some((c) => c.expected)).toBe(true);
    expect(readCases.some((c) => !c.expected)).toBe(true);
    // Both kinds of refusal occur: a purpose that may not open contacts, and a field a purpose never sees.
    expect(
      readCases.some(
        (c) => !c.expected && (OPERATIONS['Query.contact'] as readonly string[]).includes(c.purpose),
      ),
    ).toBe(true);
    for (const { role, purpose, field, expected } of readCases) {
      startSession(fakeToken({ sub: 'dana', roles: [role] }));
      choosePurpose(purpose);
      const answer = await auth.canAccess?.({ action: 'read', resource: `contacts.${field}`, signal });
      expect(answer, `${role} as ${purpose}: read ${field}`).toBe(expected);
    }
  });

  it('never allows an action or resource the console does not map, nor anything when signed out', async () => {
    const auth = createAuthProvider();
    await expect(auth.canAccess?.({ action: 'list', resource: 'contacts', signal })).resolves.toBe(false);
    startSession(fakeToken({ sub: 'erin', roles: ['privacy_officer'] }));
    await expect(auth.canAccess?.({ action: 'list', resource: 'contacts', signal })).resolves.toBe(true);
    await expect(auth.canAccess?.({ action: 'delete', resource: 'contacts', signal })).resolves.toBe(false);
    await expect(auth.canAccess?.({ action: 'list', resource: 'people', signal })).resolves.toBe(false);
  });
});
