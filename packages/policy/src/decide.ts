import { isPurpose, type Purpose } from './purposes.js';
import { isRole, ROLE_PURPOSES, type Role } from './roles.js';

/** Known roles among the claimed ones; unknown role names grant nothing. */
export function knownRoles(claimed: readonly unknown[]): Role[] {
  return [...new Set(claimed.filter(isRole))];
}

/** Every purpose that at least one of the roles may declare, in policy order. */
export function purposesForRoles(roles: readonly Role[]): Purpose[] {
  const allowed = new Set(roles.flatMap((role) => ROLE_PURPOSES[role]));
  return [...allowed];
}

export type PurposeDecision =
  | { readonly allowed: true; readonly purpose: Purpose }
  | { readonly allowed: false; readonly reason: 'PURPOSE_MISSING' | 'PURPOSE_UNKNOWN' | 'PURPOSE_NOT_HELD' };

/**
 * May a caller holding `roles` declare `declared` as its processing purpose? Purpose limitation,
 * GDPR Art 5(1)(b): a caller must say why it processes, and only purposes its roles hold count.
 */
export function mayDeclarePurpose(roles: readonly Role[], declared: string | undefined): PurposeDecision {
  if (declared === undefined || declared.trim() === '') return { allowed: false, reason: 'PURPOSE_MISSING' };
  if (!isPurpose(declared)) return { allowed: false, reason: 'PURPOSE_UNKNOWN' };
  if (!purposesForRoles(roles).includes(declared)) return { allowed: false, reason: 'PURPOSE_NOT_HELD' };
  return { allowed: true, purpose: declared };
}
