/**
 * Data categories, keyed by the fideslang taxonomy (https://ethyca.github.io/fideslang/). Special categories
 * (GDPR Art 9(1)) are marked: only a purpose whose policy row explicitly opens special categories may see them.
 */
export interface CategoryDefinition {
  readonly label: string;
  /** GDPR Art 9(1): health, beliefs, biometrics… Processing needs an Art 9(2) condition. */
  readonly special: boolean;
}

export const DATA_CATEGORIES = {
  'user.name': { label: 'Name', special: false },
  'user.contact.email': { label: 'Email address', special: false },
  'user.contact.phone_number': { label: 'Phone number', special: false },
  'user.contact.address': { label: 'Postal address', special: false },
  'user.contact.address.country': { label: 'Country of residence', special: false },
  'user.demographic.date_of_birth': { label: 'Date of birth', special: false },
  'user.device.ip_address': { label: 'IP address', special: false },
  'user.health_and_medical': { label: 'Health information', special: true },
  'user.content.private': { label: 'Private free text written by or about a person', special: false },
  'user.unique_id.pseudonymous': { label: 'Pseudonymous identifier of a person', special: false },
  // That a person works for an organisation, and which one (fideslang's `user.workplace`).
  'user.workplace': { label: 'Organisation of employment', special: false },
  // Custos' own children of fideslang's `user.behavior` (the taxonomy is extended by sub-keys): the facts of a
  // person's dealings with the controller, even without their free text.
  'user.behavior.interactions': {
    label:
      'Calls, emails, meetings and notes with a person: that they happened, when, of which kind, logged by whom',
    special: false,
  },
  'user.behavior.support': {
    label: 'Support tickets of a person: that they exist, their status and priority',
    special: false,
  },
} as const satisfies Record<string, CategoryDefinition>;

export type DataCategory = keyof typeof DATA_CATEGORIES;

export function isSpecialCategory(category: DataCategory): boolean {
  return DATA_CATEGORIES[category].special;
}
