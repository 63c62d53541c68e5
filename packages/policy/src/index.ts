export { knownRoles, mayDeclarePurpose, type PurposeDecision, purposesForRoles } from './decide.js';
export {
  isPurpose,
  LAWFUL_BASES,
  type LawfulBasis,
  PURPOSE_DEFINITIONS,
  PURPOSES,
  type Purpose,
  type PurposeDefinition,
} from './purposes.js';
export { isRole, ROLE_PURPOSES, ROLES, type Role } from './roles.js';
