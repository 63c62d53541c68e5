import { APPEND_ONLY, READ_ONLY, type SchemaGrants, type TablePrivilege } from '@custos/runtime';

/**
 * What the audit writer (writer.ts; its SQL in store.ts, drain.ts, alerts.ts) needs of the trail, and all a service that only writes it (apps/tickets)
 * may do in Custos' schema: read the chain's head and the monitoring rules, append batches, events, accesses,
 * subject sets and alerts, and add pseudonyms; move pending events (audit_pending) into the chain. Never UPDATE,
 * and DELETE only of a pending event it has just chained: it erases nobody.
 */
const AUDIT_WRITER: Readonly<Record<string, readonly TablePrivilege[]>> = {
  audit_batch: APPEND_ONLY,
  audit_event: ['INSERT'],
  audit_access: ['INSERT'],
  // `insert … on conflict (key) do nothing` reads the conflict target: that column, not the sets or alerts.
  audit_subject_set: ['SELECT (digest)', 'INSERT'],
  audit_subject: APPEND_ONLY,
  audit_rule: READ_ONLY,
  audit_alert: ['SELECT (id)', 'INSERT'],
  audit_anchor: READ_ONLY,
  audit_chain: READ_ONLY,
  // The outbox of mutations' events: any writer moves what is pending into the chain, deleting it there.
  audit_pending: ['SELECT', 'INSERT', 'DELETE'],
};

/**
 * Another service's role on Custos' schema (`public`, where the trail lives): the audit writer's privileges and
 * nothing else. Every other table there — `contact`, the consent ledger, interactions — holds no privilege at all
 * for it (`others: 'none'`), so a table Custos adds is closed to that role until someone declares otherwise.
 */
export const AUDIT_WRITER_GRANTS: SchemaGrants = {
  schema: 'public',
  // The audit tables draw from none (the writer numbers batches itself).
  sequences: false,
  others: 'none',
  tables: AUDIT_WRITER,
};
