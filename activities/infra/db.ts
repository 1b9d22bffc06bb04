/**
 * The Prisma client factory: the generated client (generated/prisma, Rust-free
 * "client" engine) talking to PostgreSQL through the pg driver adapter.
 *
 * Create one client per process (worker, API, script, jest worker) and
 * `$disconnect()` it on shutdown; the adapter keeps a connection pool.
 */
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../../generated/prisma/client';

export { PrismaClient, Prisma } from '../../generated/prisma/client';

export function createPrisma(databaseUrl: string): PrismaClient {
  return new PrismaClient({ adapter: new PrismaPg({ connectionString: databaseUrl }) });
}
