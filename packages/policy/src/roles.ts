import type { Purpose } from './purposes.js';

/**
 * Roles only decide which purposes a caller may declare (DESIGN.md, "Roles, purposes"). A role never
 * decides what a caller sees: that is the purpose's business, so the SDL's `@policy(purpose:<p>)` tells
 * the whole truth.
 */
export const ROLES = [
  'support_agent',
  'sales_rep',
  'marketer',
  'analyst',
  'privacy_officer',
  'admin',
] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_PURPOSES: Readonly<Record<Role, readonly Purpose[]>> = {
  support_agent: ['customer_support'],
  sales_rep: ['sales'],
  marketer: ['marketing', 'sale_share'],
  analyst: ['analytics'],
  privacy_officer: ['compliance', 'customer_support'],
  admin: ['administration'],
};

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}
