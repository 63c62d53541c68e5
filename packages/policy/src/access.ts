import { DATA_CATEGORIES, type DataCategory } from './categories.js';
import {
  type FieldVisibility,
  fieldVisibility,
  mayRunOperation,
  neverReason,
  type RedactionReason,
} from './decide.js';
import { PERSONAL_FIELD_NAMES, PERSONAL_FIELDS, type PersonalField } from './fields.js';
import { OPERATIONS, type Operation } from './operations.js';
import { type LawfulBasis, PURPOSE_DEFINITIONS, type Purpose, type RowRule } from './purposes.js';

export interface FieldAccess {
  readonly field: PersonalField;
  readonly category: DataCategory;
  readonly special: boolean;
  readonly visibility: FieldVisibility;
  /** Why the field comes back null on every row, when `visibility` is `never`. */
  readonly reason: RedactionReason | null;
}

export interface PurposeAccess {
  readonly purpose: Purpose;
  readonly lawfulBasis: LawfulBasis;
  readonly description: string;
  readonly operations: readonly Operation[];
  readonly rows: RowRule;
  readonly fields: readonly FieldAccess[];
}

/**
 * The data categories a purpose processes: those of every personal field it may see on some row (the record of
 * processing, Art 30(1)(c), and `Query.purposes` list these).
 */
export function purposeCategories(purpose: Purpose): DataCategory[] {
  return [
    ...new Set(
      PERSONAL_FIELD_NAMES.filter((field) => fieldVisibility(purpose, field) !== 'never').map(
        (field) => PERSONAL_FIELDS[field].category,
      ),
    ),
  ];
}

/**
 * What a purpose may run and see, straight from the policy: a frontend asks once and hides what would come
 * back null (Art 25, data protection by design).
 */
export function describeAccess(purpose: Purpose): PurposeAccess {
  const definition = PURPOSE_DEFINITIONS[purpose];
  return {
    purpose,
    lawfulBasis: definition.lawfulBasis,
    description: definition.description,
    operations: (Object.keys(OPERATIONS) as Operation[]).filter((operation) =>
      mayRunOperation(purpose, operation),
    ),
    rows: definition.rows,
    fields: PERSONAL_FIELD_NAMES.map((field) => {
      const category = PERSONAL_FIELDS[field].category;
      const visibility = fieldVisibility(purpose, field);
      return {
        field,
        category,
        special: DATA_CATEGORIES[category].special,
        visibility,
        reason: visibility === 'never' ? (neverReason(purpose, field) ?? 'PURPOSE_NOT_ALLOWED') : null,
      };
    }),
  };
}
