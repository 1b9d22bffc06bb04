/**
 * Plain SQL for the hot paths: the read-model writes, the audit trail, the
 * email outbox and the API's token check, which every order runs dozens of
 * times. Prisma compiles each ORM query in Wasm and interprets the plan in
 * JavaScript; the bench (bench/README.md, issue 6) found that to be about 40 %
 * of the order worker's busy time. Raw statements on the same pg pool skip both.
 *
 * The pool is the one Prisma's driver adapter uses (activities/infra/db.ts),
 * so both share connections and `prisma.$disconnect()` closes it.
 *
 * Rows come back shaped as Prisma returns them, so `SELECT * FROM orders`
 * can stand in for `prisma.order.findUnique`: snake_case columns become
 * camelCase keys, NUMERIC becomes Prisma.Decimal, TIMESTAMP and DATE become
 * Dates read as UTC (the columns hold UTC, as Prisma writes them), INT8 a
 * bigint. Parameters go in untyped, so: timestamps as ISO strings with an
 * explicit `::timestamp(3)` cast, JSON as a string cast `::jsonb`; new rows
 * get `gen_random_uuid()::text` ids (Prisma's cuids are made client-side, so
 * the columns have no default).
 */
import type { Pool, PoolClient, QueryConfig } from 'pg';
import { types } from 'pg';
import { Prisma } from '../../generated/prisma/client';

export interface Sql {
  /** The rows of one statement; parameters are $1, $2, ... */
  query<T = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<T[]>;
  /** The number of rows one statement inserted, updated or deleted. */
  execute(text: string, params?: readonly unknown[]): Promise<number>;
}

/** Anything that can run raw SQL inside a Prisma interactive transaction. */
export interface PrismaRaw {
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T>;
  $executeRawUnsafe(query: string, ...values: unknown[]): Promise<number>;
}

export interface SqlDb extends Sql {
  /** Runs `fn` in one transaction (BEGIN … COMMIT, ROLLBACK when it throws). */
  transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T>;
}

/** Text-format parsers by type OID, for the values Prisma would give. */
const PARSERS: Record<number, (v: string) => unknown> = {
  1700: (v) => new Prisma.Decimal(v), // numeric
  1114: (v) => new Date(`${v.replace(' ', 'T')}Z`), // timestamp without time zone, stored as UTC
  1082: (v) => new Date(`${v}T00:00:00Z`), // date
  20: (v) => BigInt(v), // int8
};
const TYPES: QueryConfig['types'] = {
  getTypeParser: ((oid: number, format?: string) =>
    format !== 'binary' && PARSERS[oid] ? PARSERS[oid] : types.getTypeParser(oid, format as 'text')) as never,
};

const camel = (k: string) => k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

function shape(rows: Record<string, unknown>[]): Record<string, unknown>[] {
  if (rows.length === 0 || !Object.keys(rows[0]).some((k) => k.includes('_'))) return rows;
  return rows.map((r) => {
    const out: Record<string, unknown> = {};
    for (const k in r) out[camel(k)] = r[k];
    return out;
  });
}

function clientSql(c: Pool | PoolClient): Sql {
  return {
    async query<T>(text: string, params: readonly unknown[] = []) {
      return shape((await c.query({ text, values: params as unknown[], types: TYPES })).rows) as T[];
    },
    async execute(text: string, params: readonly unknown[] = []) {
      return (await c.query(text, params as unknown[])).rowCount ?? 0;
    },
  };
}

export function poolSql(pool: Pool): SqlDb {
  return {
    ...clientSql(pool),
    async transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      let broken: unknown;
      try {
        await client.query('BEGIN');
        const out = await fn(clientSql(client));
        await client.query('COMMIT');
        return out;
      } catch (err) {
        try {
          await client.query('ROLLBACK');
        } catch (rollbackErr) {
          broken = rollbackErr; // the connection is unusable: drop it from the pool
        }
        throw err;
      } finally {
        client.release(broken instanceof Error ? broken : undefined);
      }
    },
  };
}

/** The same interface over a Prisma transaction, so one helper (e.g. the audit writer) serves both. */
export function prismaSql(tx: PrismaRaw): Sql {
  return {
    query: async <T>(text: string, params: readonly unknown[] = []) => shape(await tx.$queryRawUnsafe<Record<string, unknown>[]>(text, ...params)) as T[],
    execute: (text: string, params: readonly unknown[] = []) => tx.$executeRawUnsafe(text, ...params),
  };
}

/** Plain SQL on either: helpers shared by Prisma transactions and plain-SQL ones take `Sql | PrismaRaw`. */
export function asSql(db: Sql | PrismaRaw): Sql {
  return 'execute' in db && typeof db.execute === 'function' ? (db as Sql) : prismaSql(db as PrismaRaw);
}

/** A value for a `$n::jsonb` parameter (null stays SQL NULL). */
export const jsonParam = (v: unknown): string | null => (v === undefined || v === null ? null : JSON.stringify(v));
