export { describeAccess, type FieldAccess, type PurposeAccess, purposeCategories } from './access.js';
export {
  type CategoryDefinition,
  DATA_CATEGORIES,
  type DataCategory,
  isSpecialCategory,
} from './categories.js';
export {
  CONSENT_BIT,
  CONSENT_METHODS,
  CONSENT_VERIFICATIONS,
  type ConsentMethod,
  type ConsentVerification,
  consentStatusProblem,
  GPC_REFUSED_PURPOSES,
  GPC_REFUSES,
} from './consent.js';
export {
  decideField,
  type FieldDecision,
  type FieldVisibility,
  fieldVisibility,
  knownRoles,
  mayDeclarePurpose,
  mayRunOperation,
  maySeeRow,
  neverReason,
  type PurposeDecision,
  purposesForRoles,
  REDACTION_REASONS,
  type RedactionReason,
  unrestrictedPurpose,
} from './decide.js';
export {
  type FieldDefinition,
  isPersonalField,
  NON_PERSONAL_FIELDS,
  PERSONAL_FIELD_NAMES,
  PERSONAL_FIELDS,
  type PersonalField,
} from './fields.js';
export { isOperation, OPERATION_RESULTS, OPERATIONS, type Operation } from './operations.js';
export {
  auditsEveryOperation,
  isPurpose,
  LAWFUL_BASES,
  type LawfulBasis,
  PURPOSE_DEFINITIONS,
  PURPOSES,
  type Purpose,
  type PurposeDefinition,
  type RowRule,
} from './purposes.js';
export { renderProcessingRecord } from './record.js';
export {
  isRelation,
  mayFollow,
  nestedTypes,
  nestingLeaks,
  RELATIONS,
  type Relation,
  type RelationDefinition,
  rootTypes,
} from './relations.js';
export { isRole, ROLE_PURPOSES, ROLES, type Role } from './roles.js';
export { CONSENT_STATUSES, type ConsentStatus, type ContactState, ORDINARY_CONTACT } from './state.js';
export { canonicalJson, fnv1a64, POLICY_TABLES, POLICY_VERSION } from './version.js';
