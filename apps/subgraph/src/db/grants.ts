import { APPEND_ONLY, READ_ONLY, READ_WRITE, type SchemaGrants } from '@custos/runtime';

/**
 * What the Custos subgraph's application role may do on its tables (packages/runtime/src/roles.ts says how grants
 * are applied and checked): it can append to the ledgers but never UPDATE, DELETE or TRUNCATE them.
 */
export const CUSTOS_GRANTS: SchemaGrants = {
  schema: 'public',
  tables: {
    company: READ_WRITE,
    contact: READ_WRITE,
    interaction: READ_WRITE,
    contact_duplicate: READ_WRITE,
    consent_state: READ_WRITE,
    // Notices are versioned: a published version is never edited.
    privacy_notice: APPEND_ONLY,
    consent_event: APPEND_ONLY,
    // What names the person beside the chain: an erasure deletes it; nothing ever edits it.
    consent_evidence: ['SELECT', 'INSERT', 'DELETE'],
    // Double opt-in: a public form's post lives until its job acted on it (then deleted); a pending grant is
    // confirmed, cancelled or locked by the person's link (UPDATE), and goes with its contact in an erasure.
    consent_submission: ['SELECT', 'INSERT', 'DELETE'],
    consent_confirmation: READ_WRITE,
    // The audit trail: batches, events and accesses are append-only; a subject's pseudonym is deleted by an
    // erasure; rules are edited and alerts acknowledged by the privacy officer.
    audit_batch: APPEND_ONLY,
    audit_event: APPEND_ONLY,
    audit_access: APPEND_ONLY,
    // Content-addressed: a set is written once and never changed; retention (the owner) removes unused ones.
    audit_subject_set: APPEND_ONLY,
    // Pseudonyms are made by the owner's function audit_writer.pseudonyms (every writer's one way in); Custos reads
    // them for the privacy officer's queries and deletes a subject's in an erasure.
    audit_subject: ['SELECT', 'DELETE'],
    audit_rule: ['SELECT', 'INSERT', 'UPDATE'],
    audit_alert: ['SELECT', 'INSERT', 'UPDATE'],
    // Retention is the owner's (it alone may remove the chain's oldest end); the services read the anchor.
    audit_anchor: READ_ONLY,
    // The outbox of mutations' events: inserted with the change, moved into the chain (and deleted) by the writer.
    audit_pending: ['SELECT', 'INSERT', 'DELETE'],
    audit_chain: READ_ONLY,
    // The mail outbox (packages/mail): inserted with its cause, claimed and marked sent or failed by delivery;
    // DELETE for an erasure (Art 17), which removes the person's queued and sent mail with them.
    mail_outbox: READ_WRITE,
    // The shared rate limits: counted (insert, update) and swept of expired windows by every instance.
    rate_limit: READ_WRITE,
    // The services read the ledger to answer /readyz; only the owner migrates.
    mikro_orm_migrations: READ_ONLY,
  },
};
