import { randomBytes } from 'node:crypto';
import { dropDatabase, withDatabase } from '@custos/runtime';
import { defineEntity, p, SyntaxErrorException, UniqueConstraintViolationException } from '@mikro-orm/core';
import type { MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createOrm } from '../src/orm.js';
import { limitRows, MAX_NAMED_STATEMENTS, query, type SqlSession, statementName } from '../src/sql.js';

/**
 * `query` as the services use it, on a database of this file's own: outside a transaction a statement is a named
 * prepared statement, parsed once per connection (issue 16); inside one it stays on the transaction's connection;
 * either way an SQL error becomes MikroORM's typed exception.
 */
const ProbeSchema = defineEntity({
  name: 'Probe',
  tableName: 'probe',
  properties: { n: p.integer().primary() },
});

const MODEL = { entities: [ProbeSchema], migrations: [], migrationsTable: 'mikro_orm_migrations' };
const adminUrl = inject('adminUrl');
const database = `custos_sql_${randomBytes(6).toString('hex')}`;
/** One connection: what PostgreSQL has prepared on it is what `query` prepared. */
let single: MikroORM;
/** Two connections: a transaction holds one while a read outside it takes the other. */
let pair: MikroORM;

beforeAll(async () => {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${admin.escapeIdentifier(database)}`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(adminUrl, database);
  single = await createOrm({ url, poolMax: 1, model: MODEL });
  pair = await createOrm({ url, poolMax: 2, model: MODEL });
  await query(single.em.fork(), 'create table probe (n int primary key)');
  await query(single.em.fork(), 'insert into probe (n) select generate_series(1, 10)');
});

afterAll(async () => {
  await single?.close();
  await pair?.close();
  await dropDatabase(adminUrl, database);
});

interface Prepared {
  readonly name: string;
  readonly runs: number;
}

/** The statements PostgreSQL holds prepared for `sql` on the single connection, with how often each ran. */
async function preparedOnSingle(sql: string): Promise<Prepared[]> {
  return query<Prepared>(
    single.em.fork(),
    'select name, (generic_plans + custom_plans)::int as runs from pg_prepared_statements where statement = $1',
    [sql],
  );
}

describe('query outside a transaction: named prepared statements', () => {
  it('runs a text as one named statement per connection: parsed once, executed at every run', async () => {
    const sql = 'select n from probe where n > $1 order by n';
    const em: SqlSession = single.em.fork();
    expect(await query(em, sql, [7])).toEqual([{ n: 8 }, { n: 9 }, { n: 10 }]);
    expect(await query(em, sql, [8])).toEqual([{ n: 9 }, { n: 10 }]);
    const name = statementName(sql);
    expect(name).toMatch(/^custos_\d+$/);
    expect(await preparedOnSingle(sql)).toEqual([{ name, runs: 2 }]);
  });

  it('sends a statement unnamed when told (prepare: false): nothing stays prepared, the rows are the same', async () => {
    const sql = 'select n from probe where n < $1 order by n';
    const em: SqlSession = single.em.fork();
    expect(await query(em, sql, [3], { prepare: false })).toEqual([{ n: 1 }, { n: 2 }]);
    expect(await query(em, sql, [2], { prepare: false })).toEqual([{ n: 1 }]);
    expect(await preparedOnSingle(sql)).toEqual([]);
  });

  it('keeps the connection and its prepared statements after an SQL error', async () => {
    const sql = 'select n from probe where n = $1';
    const em: SqlSession = single.em.fork();
    expect(await query(em, sql, [1])).toEqual([{ n: 1 }]);
    await expect(query(em, 'insert into probe (n) values ($1)', [1])).rejects.toBeInstanceOf(
      UniqueConstraintViolationException,
    );
    expect(await query(em, sql, [2])).toEqual([{ n: 2 }]);
    expect(await preparedOnSingle(sql)).toEqual([{ name: statementName(sql), runs: 2 }]);
  });
});

describe('query inside a transaction', () => {
  it("reads on the transaction's connection: it sees the transaction's uncommitted write, a read outside does not", async () => {
    const select = 'select n from probe where n = $1';
    const em = pair.em.fork();
    const rollback = new Error('roll back');
    await expect(
      em.transactional(async (tx) => {
        await query(tx, 'insert into probe (n) values ($1)', [100]);
        expect(await query(tx, select, [100])).toEqual([{ n: 100 }]);
        expect(await query(pair.em.fork(), select, [100])).toEqual([]);
        throw rollback;
      }),
    ).rejects.toBe(rollback);
    expect(await query(pair.em.fork(), select, [100])).toEqual([]);
  });

  it('commits what the transaction wrote through it', async () => {
    const em = pair.em.fork();
    await em.transactional((tx) => query(tx, 'insert into probe (n) values ($1)', [101]));
    expect(await query(pair.em.fork(), 'select n from probe where n = $1', [101])).toEqual([{ n: 101 }]);
  });
});

describe('SQL errors become MikroORM typed exceptions', () => {
  it('a unique violation, outside and inside a transaction', async () => {
    const insert = 'insert into probe (n) values ($1)';
    await expect(query(single.em.fork(), insert, [2])).rejects.toBeInstanceOf(
      UniqueConstraintViolationException,
    );
    await expect(pair.em.fork().transactional((tx) => query(tx, insert, [3]))).rejects.toBeInstanceOf(
      UniqueConstraintViolationException,
    );
  });

  it('a syntax error, named or not', async () => {
    const broken = 'selec n from probe';
    await expect(query(single.em.fork(), broken)).rejects.toBeInstanceOf(SyntaxErrorException);
    await expect(query(single.em.fork(), broken, [], { prepare: false })).rejects.toBeInstanceOf(
      SyntaxErrorException,
    );
    // A text that failed to parse was never prepared: the next run parses it again and fails the same way.
    await expect(query(single.em.fork(), broken)).rejects.toBeInstanceOf(SyntaxErrorException);
  });
});

describe('limitRows', () => {
  it('inlines a page size + 1 and refuses anything else', () => {
    expect(limitRows(1)).toBe('limit 1');
    expect(limitRows(501)).toBe('limit 501');
    for (const bad of [502, -1, 1.5, Number.NaN]) expect(() => limitRows(bad)).toThrow(RangeError);
  });
});

// Last: it fills the process's name map.
describe('the name map is bounded', () => {
  it(`names at most ${MAX_NAMED_STATEMENTS} texts; a text past the cap runs unnamed, a named one keeps its name`, async () => {
    const named = 'select count(*)::int as n from probe where n > $1 and n <= 10';
    const em: SqlSession = single.em.fork();
    expect(await query(em, named, [5])).toEqual([{ n: 5 }]);
    const name = statementName(named);
    let filler = 0;
    while (statementName(`select ${filler} as filler`) !== undefined) filler += 1;
    expect(filler).toBeLessThan(MAX_NAMED_STATEMENTS);
    expect(statementName(`select ${filler + 1} as filler`)).toBeUndefined();

    const over = 'select count(*)::int as n from probe where n <= $1';
    expect(await query(em, over, [4])).toEqual([{ n: 4 }]);
    expect(await query(em, over, [6])).toEqual([{ n: 6 }]);
    expect(await preparedOnSingle(over)).toEqual([]);

    expect(statementName(named)).toBe(name);
    expect(await query(em, named, [8])).toEqual([{ n: 2 }]);
    expect(await preparedOnSingle(named)).toEqual([{ name, runs: 2 }]);
  });
});
