import {
  CONSENT_METHODS,
  CONSENT_STATUSES,
  type ConsentStatus,
  consentStatusProblem,
  isPurpose,
  PURPOSES,
  type Purpose,
} from '@custos/policy';

/** The purposes for which the policy lets `status` be recorded (consentStatusProblem), in policy order. */
export const purposesAllowing = (status: ConsentStatus): readonly Purpose[] =>
  PURPOSES.filter((purpose) => consentStatusProblem(purpose, status) === undefined);

/** May `status` be recorded for `purpose` (a purpose name as the API gives it)? */
export const allows = (purpose: unknown, status: ConsentStatus): boolean =>
  isPurpose(purpose) && consentStatusProblem(purpose, status) === undefined;

export const purposeLabel = (purpose: unknown) => `custos.purposes.${String(purpose)}`;
export const statusLabel = (status: unknown) => `custos.consent.statuses.${String(status)}`;
export const methodLabel = (method: unknown) => `custos.consent.methods.${String(method)}`;

/** Choices for react-admin's SelectInput, with translated names. */
export const methodChoices = CONSENT_METHODS.map((id) => ({ id, name: methodLabel(id) }));
export const statusChoices = CONSENT_STATUSES.map((id) => ({ id, name: statusLabel(id) }));
