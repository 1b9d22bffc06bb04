/**
 * The Prisma client factory: the generated client (generated/prisma, Rust-free
 * "client" engine) talking to PostgreSQL through the pg driver adapter, on a
 * pg pool that the hot paths also use for plain SQL (sql.ts, `sqlOf`).
 *
 * Create one client per process (worker, API, script, jest worker) and
 * `$disconnect()` it on shutdown; that also ends the pool.
 */
import { PrismaPg } from '@prisma/adapter-pg';
import { Pool } from 'pg';
import { PrismaClient } from '../../generated/prisma/client';
import { poolSql, type SqlDb } from './sql';

export { PrismaClient, Prisma } from '../../generated/prisma/client';

const sqlByClient = new WeakMap<PrismaClient, SqlDb>();

export function createPrisma(databaseUrl: string): PrismaClient {
  const pool = new Pool({ connectionString: databaseUrl });
  // An idle connection the server dropped: the pool replaces it; without a
  // listener the 'error' event would end the process.
  pool.on('error', () => undefined);
  const client = new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
  sqlByClient.set(client, poolSql(pool));
  return client;
}

/** Plain SQL on the client's own pool. */
export function sqlOf(prisma: PrismaClient): SqlDb {
  const sql = sqlByClient.get(prisma);
  if (!sql) throw new Error('this Prisma client was not made by createPrisma');
  return sql;
}
