import './schema/connection.js';
import './contacts/contact.schema.js';
import './companies/company.schema.js';
import './interactions/interaction.schema.js';
import './duplicates/duplicate.schema.js';
import './consent/consent.schema.js';
import './consent/notice.schema.js';
import './privacy/access.schema.js';
import './audit/audit.schema.js';
import './jobs/dead-letters.schema.js';
import './dashboard/dashboard.schema.js';
import { federatedSchema } from '@custos/enforcement';
import type { GraphQLSchema } from 'graphql';
import { builder } from './schema/builder.js';

export { PII_SPEC_URL } from '@custos/enforcement';

/** The Custos subgraph schema: Contact as an entity keyed by `id`, every domain folder's types. */
export function buildSchema(): GraphQLSchema {
  return federatedSchema((options) => builder.toSubGraphSchema(options));
}
