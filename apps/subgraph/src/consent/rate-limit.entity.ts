import { defineEntity, p } from '@mikro-orm/core';

/**
 * The shared rate limits' table (packages/runtime, `RATE_LIMIT_DDL`; migration Migration20261207010000RateLimit),
 * described here only so that the schema has one description (the schema test compares the two). Counted with SQL
 * by rate-limiter-flexible, never through this entity.
 */
export const RateLimitBucketSchema = defineEntity({
  name: 'RateLimitBucket',
  tableName: 'rate_limit',
  properties: {
    key: p.string().length(255).primary(),
    points: p.integer().default(0),
    expire: p.bigint().nullable(),
  },
});

export class RateLimitBucket extends RateLimitBucketSchema.class {}
RateLimitBucketSchema.setClass(RateLimitBucket);
