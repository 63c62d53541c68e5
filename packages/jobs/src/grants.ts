import { READ_WRITE, type SchemaGrants } from '@custos/runtime';

/** pg-boss' own schema: created, migrated and owned by the owner role (prepare.ts). */
export const JOBS_SCHEMA = 'pgboss';

/**
 * All the application role may do in schema `pgboss` (roles.ts): what a pg-boss instance that neither migrates
 * nor creates queues needs to send, fetch, settle, retry, dead-letter and re-drive jobs, to supervise them
 * (expiry, lost heartbeats, retention of finished jobs) and to record itself in the instance registry.
 * Everything else is closed to it: the schema's DDL and functions' tables (queues are created by the owner at
 * start), schedules, pub/sub subscriptions, background migrations, warnings and queue statistics — and any
 * table a later pg-boss adds (`others: 'none'`: the schema is pg-boss', so its tables are not declared one by
 * one like Custos' own; a table the role then lacks shows as "permission denied" in the tests).
 */
export const JOBS_GRANTS: SchemaGrants = {
  schema: JOBS_SCHEMA,
  tables: {
    // The schema version, and the timestamps by which instances claim a periodic pass (flows, monitor backoff).
    version: ['SELECT', 'UPDATE'],
    // The queues' settings and their supervision timestamps and cached counts.
    queue: ['SELECT', 'UPDATE'],
    // The jobs: the partitioned parent and the partition that holds every queue's rows.
    job: READ_WRITE,
    job_common: READ_WRITE,
    // Flows (jobs that wait for others): unused by Custos, but completion and retention read and clear them.
    job_dependency: ['SELECT', 'DELETE'],
    instance: READ_WRITE,
  },
  sequences: false,
  others: 'none',
};
