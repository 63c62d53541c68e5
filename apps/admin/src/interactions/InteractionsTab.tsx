import { type RelationColumn, RelationTab } from '../fields/RelationTab';

const COLUMNS: readonly RelationColumn[] = [
  { source: 'occurredAt', kind: 'date' },
  { source: 'type', kind: 'choice', texts: 'custos.interactions.types' },
  { source: 'subject' },
  { source: 'loggedBy' },
];

/**
 * A contact's interactions (calls, emails, meetings, notes), newest first. Each field may come back redacted, and
 * so may the whole relation (a restricted contact, a purpose that may not follow it).
 */
export const InteractionsTab = () => (
  <RelationTab reference="interactions" texts="custos.interactions" columns={COLUMNS} />
);
