import { RATE_LIMIT_DDL } from '@custos/runtime';
import { Migration } from '@mikro-orm/migrations';

/**
 * The shared rate limits (`rate_limit`, packages/runtime/src/rate-limit.ts): every instance counts a client's
 * requests to the data-subject endpoints in one table, so one budget holds whatever instance answers. The keys are
 * keyed hashes of client addresses. The statements are the package's own, frozen as this migration ran them.
 */
export class Migration20261207010000RateLimit extends Migration {
  override name = 'Migration20261207010000RateLimit';

  override up(): void {
    for (const statement of RATE_LIMIT_DDL) this.addSql(statement);
  }

  override down(): void {
    this.addSql('drop table if exists rate_limit;');
  }
}
