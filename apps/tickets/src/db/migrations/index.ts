import { Migration20261123010000Tickets } from './Migration20261123010000Tickets.js';
import { Migration20261206000000ContactPrivacyView } from './Migration20261206000000ContactPrivacyView.js';

/** Every migration of the tickets service, in order (listed, not globbed: the same list runs from src and dist). */
export const migrations = [
  { name: 'Migration20261123010000Tickets', class: Migration20261123010000Tickets },
  { name: 'Migration20261206000000ContactPrivacyView', class: Migration20261206000000ContactPrivacyView },
];
