import { createOrm, openDatabase, query } from '@custos/database';
import { type Config, ConfigError, createLogger } from '@custos/runtime';
import { TableNotFoundException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { migrations } from '../db/migrations/index.js';
import { CUSTOS_MODEL } from '../db/model.js';

/** Whether every committed migration was applied, by reading only (MikroORM's own check creates its table). */
export async function isMigrated(em: EntityManager): Promise<boolean> {
  try {
    const applied = await query<{ name: string }>(em, 'select name from mikro_orm_migrations');
    const names = new Set(applied.map((row) => row.name));
    return migrations.every((migration) => names.has(migration.name));
  } catch (error) {
    if (error instanceof TableNotFoundException) return false;
    throw error;
  }
}

/** Exit codes of the checking commands: it holds, it does not, or the command could not check. */
export const VALID = 0;
export const BROKEN = 1;
export const UNABLE = 2;

/**
 * Runs `check` on the database of DATABASE_URL (or the embedded default) as the application role, once it is
 * known to be migrated; reads only. Returns the command's exit code.
 */
export async function withMigratedDatabase(
  command: string,
  config: Config,
  check: (em: EntityManager) => Promise<number>,
): Promise<number> {
  const database = await openDatabase(config, createLogger('warn'));
  try {
    const orm = await createOrm({ model: CUSTOS_MODEL, url: database.url, poolMax: 1 });
    try {
      if (!(await isMigrated(orm.em.fork()))) {
        process.stderr.write(
          `${command}: the database is not migrated (start Custos once to apply the migrations)\n`,
        );
        return UNABLE;
      }
      return await check(orm.em.fork());
    } finally {
      await orm.close();
    }
  } finally {
    await database.stop();
  }
}

/** Runs a command's `main` and exits with its code; an error is one line on stderr (and the usage), exit 2. */
export function runCommand(command: string, usage: string, main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(
        `${command}: ${error instanceof ConfigError || error instanceof Error ? error.message : String(error)}\n${usage}\n`,
      );
      process.exit(UNABLE);
    },
  );
}
