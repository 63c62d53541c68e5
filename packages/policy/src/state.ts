import type { Purpose } from './purposes.js';

/** Consent ledger statuses (DESIGN.md): the latest one per contact and purpose counts. */
export const CONSENT_STATUSES = ['GRANTED', 'DENIED', 'WITHDRAWN', 'OBJECTED'] as const;
export type ConsentStatus = (typeof CONSENT_STATUSES)[number];

/** What the policy needs to know about one contact to decide on its row and fields. */
export interface ContactState {
  /** Erased (Art 17): only a tombstone id without personal data remains. */
  readonly erased: boolean;
  /** Processing restricted (Art 18). */
  readonly restricted: boolean;
  /** "Limit the use of my sensitive personal information" (CCPA §1798.121). */
  readonly limitSensitive: boolean;
  /** The latest consent-ledger status per purpose; absent means nothing was ever recorded. */
  readonly consents: Readonly<Partial<Record<Purpose, ConsentStatus>>>;
}

export const ORDINARY_CONTACT: ContactState = {
  erased: false,
  restricted: false,
  limitSensitive: false,
  consents: {},
};
