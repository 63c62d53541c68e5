import type { Migration } from '@mikro-orm/migrations';
import { Migration20261122000000Initial } from './Migration20261122000000Initial.js';
import { Migration20261122010000PrivacyState } from './Migration20261122010000PrivacyState.js';
import { Migration20261123000000DuplicateReview } from './Migration20261123000000DuplicateReview.js';
import { Migration20261123020000ConsentLedger } from './Migration20261123020000ConsentLedger.js';
import { Migration20261123030000ConsentBits } from './Migration20261123030000ConsentBits.js';
import { Migration20261124000000AuditTrail } from './Migration20261124000000AuditTrail.js';
import { Migration20261124010000AuditRetention } from './Migration20261124010000AuditRetention.js';
import { Migration20261124020000AuditSubjectSets } from './Migration20261124020000AuditSubjectSets.js';
import { Migration20261124030000AuditChainId } from './Migration20261124030000AuditChainId.js';
import { Migration20261206000000AuditOutbox } from './Migration20261206000000AuditOutbox.js';
import { Migration20261207000000MailOutbox } from './Migration20261207000000MailOutbox.js';
import { Migration20261207010000RateLimit } from './Migration20261207010000RateLimit.js';
import { Migration20261208000000ConsentConfirmation } from './Migration20261208000000ConsentConfirmation.js';
import { Migration20261208010000ConsentEventRecordedAt } from './Migration20261208010000ConsentEventRecordedAt.js';
import { Migration20261209000000ConsentBitStatistics } from './Migration20261209000000ConsentBitStatistics.js';
import { Migration20261210000000AuditAccessSubjectsPartial } from './Migration20261210000000AuditAccessSubjectsPartial.js';
import { Migration20261211000000AuditPseudonyms } from './Migration20261211000000AuditPseudonyms.js';
import { Migration20261211010000OffHoursDescription } from './Migration20261211010000OffHoursDescription.js';

type MigrationClass = new (...args: ConstructorParameters<typeof Migration>) => Migration;

/**
 * Every migration, in order. Listed explicitly rather than discovered by glob so that the same list runs
 * from compiled JavaScript (`npm start`) and from TypeScript sources (the test suite).
 */
export const migrations: { name: string; class: MigrationClass }[] = [
  { name: 'Migration20261122000000Initial', class: Migration20261122000000Initial },
  { name: 'Migration20261122010000PrivacyState', class: Migration20261122010000PrivacyState },
  { name: 'Migration20261123000000DuplicateReview', class: Migration20261123000000DuplicateReview },
  { name: 'Migration20261123020000ConsentLedger', class: Migration20261123020000ConsentLedger },
  { name: 'Migration20261123030000ConsentBits', class: Migration20261123030000ConsentBits },
  { name: 'Migration20261124000000AuditTrail', class: Migration20261124000000AuditTrail },
  { name: 'Migration20261124010000AuditRetention', class: Migration20261124010000AuditRetention },
  { name: 'Migration20261124020000AuditSubjectSets', class: Migration20261124020000AuditSubjectSets },
  { name: 'Migration20261124030000AuditChainId', class: Migration20261124030000AuditChainId },
  { name: 'Migration20261206000000AuditOutbox', class: Migration20261206000000AuditOutbox },
  { name: 'Migration20261207000000MailOutbox', class: Migration20261207000000MailOutbox },
  { name: 'Migration20261207010000RateLimit', class: Migration20261207010000RateLimit },
  {
    name: 'Migration20261208000000ConsentConfirmation',
    class: Migration20261208000000ConsentConfirmation,
  },
  {
    name: 'Migration20261208010000ConsentEventRecordedAt',
    class: Migration20261208010000ConsentEventRecordedAt,
  },
  {
    name: 'Migration20261209000000ConsentBitStatistics',
    class: Migration20261209000000ConsentBitStatistics,
  },
  {
    name: 'Migration20261210000000AuditAccessSubjectsPartial',
    class: Migration20261210000000AuditAccessSubjectsPartial,
  },
  { name: 'Migration20261211000000AuditPseudonyms', class: Migration20261211000000AuditPseudonyms },
  {
    name: 'Migration20261211010000OffHoursDescription',
    class: Migration20261211010000OffHoursDescription,
  },
];
