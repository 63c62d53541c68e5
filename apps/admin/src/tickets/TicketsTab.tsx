import { type RelationColumn, RelationTab } from '../fields/RelationTab';

const COLUMNS: readonly RelationColumn[] = [
  { source: 'createdAt', kind: 'date' },
  { source: 'subject' },
  { source: 'status', kind: 'choice', texts: 'custos.tickets.statuses' },
  { source: 'priority', kind: 'choice', texts: 'custos.tickets.priorities' },
  { source: 'solvedAt', kind: 'date', emptyText: '—' },
];

/**
 * A contact's support tickets (the tickets subgraph, joined by the gateway), newest first. Each field may come
 * back redacted, and so may the whole relation.
 */
export const TicketsTab = () => <RelationTab reference="tickets" texts="custos.tickets" columns={COLUMNS} />;
