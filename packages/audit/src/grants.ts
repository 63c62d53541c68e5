import { APPEND_ONLY, READ_ONLY, type SchemaGrants, type TablePrivilege } from '@custos/runtime';

/**
 * What a service that only appends to the audit trail (apps/tickets, apps/gateway) needs in Custos' schema, and all
 * it may do there — its writer's SQL is writer.ts, store.ts and alerts.ts: read the chain's head and the monitoring
 * rules; append batches, events, accesses, subject sets and alerts. Never UPDATE, never DELETE: it erases nobody.
 *
 * What it may not touch, although its writer shares the code of Custos':
 * - `audit_subject` (contact id → pseudonym, the one link from the trail to a person): no privilege at all. A
 *   pseudonym comes from the owner's function `audit_writer.pseudonyms(ids)`, for the ids the service names only
 *   (store.ts; migration Migration20261211000000AuditPseudonyms).
 * - `audit_pending` (the outbox of Custos' mutations: actor, purpose, contact ids and field names, not yet
 *   chained): no privilege at all. Only Custos' mutations insert there, and only Custos' writer moves it into the
 *   chain (`drainsOutbox`); these services have no mutation.
 */
const AUDIT_WRITER: Readonly<Record<string, readonly TablePrivilege[]>> = {
  audit_batch: APPEND_ONLY,
  audit_event: ['INSERT'],
  audit_access: ['INSERT'],
  // `insert … on conflict (key) do nothing` reads the conflict target: that column, not the sets or alerts.
  audit_subject_set: ['SELECT (digest)', 'INSERT'],
  audit_subject: [],
  audit_rule: READ_ONLY,
  audit_alert: ['SELECT (id)', 'INSERT'],
  audit_anchor: READ_ONLY,
  audit_chain: READ_ONLY,
  audit_pending: [],
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
