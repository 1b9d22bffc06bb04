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
 * Conventions, because pg sends parameters untyped and reads `timestamp`
 * columns in the process's time zone: timestamps go in as ISO strings with an
 * explicit `::timestamp(3)` cast (the columns hold UTC, as Prisma writes them)
 * and come back as text only when needed; JSON goes in as a string cast
 * `::jsonb`; new rows get `gen_random_uuid()::text` ids (Prisma's cuids are
 * made client-side, so the columns have no default).
 */
import type { Pool, PoolClient } from 'pg';

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

function clientSql(c: Pool | PoolClient): Sql {
  return {
    async query<T>(text: string, params: readonly unknown[] = []) {
      return (await c.query(text, params as unknown[])).rows as T[];
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
    query: <T>(text: string, params: readonly unknown[] = []) => tx.$queryRawUnsafe<T[]>(text, ...params),
    execute: (text: string, params: readonly unknown[] = []) => tx.$executeRawUnsafe(text, ...params),
  };
}

/** A value for a `$n::jsonb` parameter (null stays SQL NULL). */
export const jsonParam = (v: unknown): string | null => (v === undefined || v === null ? null : JSON.stringify(v));
