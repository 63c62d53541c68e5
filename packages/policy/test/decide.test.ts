import { describe, expect, it } from 'vitest';
import {
  knownRoles,
  mayDeclarePurpose,
  PURPOSE_DEFINITIONS,
  PURPOSES,
  purposesForRoles,
  ROLE_PURPOSES,
  ROLES,
} from '../src/index.js';

// The role table of DESIGN.md, kept here as the reviewed expectation: a change to the policy data must
// change this fixture too, in the same commit, where a reviewer sees it.
const EXPECTED_ROLE_PURPOSES = {
  support_agent: ['customer_support'],
  sales_rep: ['sales'],
  marketer: ['marketing', 'sale_share'],
  analyst: ['analytics'],
  privacy_officer: ['compliance', 'customer_support'],
  admin: ['administration'],
};

const EXPECTED_LAWFUL_BASES = {
  customer_support: 'contract',
  sales: 'legitimate_interest',
  marketing: 'consent',
  sale_share: 'consent',
  analytics: 'legitimate_interest',
  compliance: 'legal_obligation',
  administration: 'legitimate_interest',
};

describe('role → purpose table', () => {
  it('matches the reviewed table of DESIGN.md', () => {
    expect(ROLE_PURPOSES).toEqual(EXPECTED_ROLE_PURPOSES);
  });

  it('gives every purpose the lawful basis of DESIGN.md', () => {
    const bases = Object.fromEntries(PURPOSES.map((p) => [p, PURPOSE_DEFINITIONS[p].lawfulBasis]));
    expect(bases).toEqual(EXPECTED_LAWFUL_BASES);
  });

  it('lets each role declare exactly its own purposes and no other', () => {
    for (const role of ROLES) {
      for (const purpose of PURPOSES) {
        const decision = mayDeclarePurpose([role], purpose);
        const expected = (EXPECTED_ROLE_PURPOSES[role] as string[]).includes(purpose);
        expect({ role, purpose, allowed: decision.allowed }).toEqual({ role, purpose, allowed: expected });
      }
    }
  });
});

describe('mayDeclarePurpose', () => {
  it('refuses a missing or blank purpose', () => {
    expect(mayDeclarePurpose(['admin'], undefined)).toEqual({ allowed: false, reason: 'PURPOSE_MISSING' });
    expect(mayDeclarePurpose(['admin'], '  ')).toEqual({ allowed: false, reason: 'PURPOSE_MISSING' });
  });

  it('refuses an unknown purpose', () => {
    expect(mayDeclarePurpose(['admin'], 'curiosity')).toEqual({ allowed: false, reason: 'PURPOSE_UNKNOWN' });
  });

  it('refuses a purpose no role holds, and a caller without roles', () => {
    expect(mayDeclarePurpose(['support_agent'], 'marketing')).toEqual({
      allowed: false,
      reason: 'PURPOSE_NOT_HELD',
    });
    expect(mayDeclarePurpose([], 'customer_support').allowed).toBe(false);
  });

  it('unions the purposes of several roles', () => {
    expect(purposesForRoles(['support_agent', 'marketer']).sort()).toEqual(
      ['customer_support', 'marketing', 'sale_share'].sort(),
    );
    expect(mayDeclarePurpose(['support_agent', 'marketer'], 'sale_share')).toEqual({
      allowed: true,
      purpose: 'sale_share',
    });
  });
});

describe('knownRoles', () => {
  it('drops unknown and non-string role claims and duplicates', () => {
    expect(knownRoles(['admin', 'superuser', 42, null, 'admin'])).toEqual(['admin']);
  });
});
