/**
 * The test files' Prisma client: one per jest worker module registry (one per
 * test file), on the database the global setup prepared (salesorder_test).
 */
import { createPrisma, type PrismaClient } from '../../activities/infra/db';

let client: PrismaClient | undefined;

export function testPrisma(): PrismaClient {
  if (!client) {
    const url = process.env.DATABASE_URL;
    if (!url) throw new Error('DATABASE_URL is not set: run the tests through jest (test/support/global-setup.ts sets it)');
    client = createPrisma(url);
  }
  return client;
}

/** Disconnects the shared client (call in afterAll when the file is done with it). */
export async function closeTestPrisma(): Promise<void> {
  const c = client;
  client = undefined;
  if (c) await c.$disconnect();
}
