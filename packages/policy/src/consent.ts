import { PURPOSE_DEFINITIONS, PURPOSES, type Purpose } from './purposes.js';
import type { ConsentStatus } from './state.js';

/** How a consent event was captured (DESIGN.md, consent ledger). */
export const CONSENT_METHODS = ['WEB_FORM', 'EMAIL', 'PHONE', 'IMPORT', 'GPC', 'ADMIN'] as const;
export type ConsentMethod = (typeof CONSENT_METHODS)[number];

/**
 * How a choice recorded in the ledger was verified: by the person opening the single-use link mailed to the
 * address on file (EMAIL_CONFIRMATION, the double opt-in every public grant needs), or not at all
 * (UNVERIFIED_SIGNAL: a refusal, withdrawal or Global Privacy Control signal from the public form, which take
 * effect at once — withdrawing must be as easy as giving, Art 7(3), and an opt-out is not a verifiable request).
 * An event without one was recorded by staff with the evidence they hold (its source is required for a grant).
 */
export const CONSENT_VERIFICATIONS = ['EMAIL_CONFIRMATION', 'UNVERIFIED_SIGNAL'] as const;
export type ConsentVerification = (typeof CONSENT_VERIFICATIONS)[number];

/**
 * May a ledger event with `status` be recorded for `purpose`? GRANTED, DENIED and WITHDRAWN are answers to a
 * request for consent: only a purpose whose lawful basis is consent asks for one (Art 6(1)(a), 7). OBJECTED is
 * the Art 21 objection: it means something only where the purpose's row rule honours it (legitimate interest,
 * and direct marketing, where it is absolute); a legal obligation cannot be objected to. Undefined: allowed;
 * otherwise the reason, for the error message.
 */
export function consentStatusProblem(purpose: Purpose, status: ConsentStatus): string | undefined {
  const definition = PURPOSE_DEFINITIONS[purpose];
  if (status === 'OBJECTED') {
    return definition.rows.objection === 'exclude'
      ? undefined
      : `purpose ${purpose} rests on ${definition.lawfulBasis}: an objection does not apply to it`;
  }
  return definition.lawfulBasis === 'consent'
    ? undefined
    : `purpose ${purpose} rests on ${definition.lawfulBasis}, not consent: there is no consent to ${status === 'GRANTED' ? 'give' : 'refuse or withdraw'}`;
}

/**
 * Where each purpose's current consent status is kept on the contact row (bit positions of `consent_granted` and
 * `consent_objected`), so that a row rule tests a column during the scan instead of probing another table per row.
 * Stored in the database: never renumber a purpose, only add.
 */
export const CONSENT_BIT: Readonly<Record<Purpose, number>> = {
  customer_support: 0,
  sales: 1,
  marketing: 2,
  sale_share: 3,
  analytics: 4,
  compliance: 5,
  administration: 6,
};

/**
 * What a Global Privacy Control signal (`Sec-GPC: 1`) refuses, one row per purpose: it is a valid request to opt
 * out of the sale and sharing of personal information (CCPA §1798.120, §1798.135(e); Cal. Code Regs. tit. 11
 * §7025). For each purpose marked here, a request carrying the signal records a refusal (DENIED, method `GPC`), and
 * a grant of that purpose on the same request is not recorded: the signal wins over the form. Only a purpose that
 * rests on consent can be refused (the policy's tests hold every row to that).
 */
export const GPC_REFUSES: Readonly<Record<Purpose, boolean>> = {
  customer_support: false,
  sales: false,
  marketing: false,
  sale_share: true,
  analytics: false,
  compliance: false,
  administration: false,
};

/** The purposes a GPC signal refuses ({@link GPC_REFUSES}), in policy order. */
export const GPC_REFUSED_PURPOSES: readonly Purpose[] = PURPOSES.filter((purpose) => GPC_REFUSES[purpose]);
