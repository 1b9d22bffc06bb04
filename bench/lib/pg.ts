/** Direct PostgreSQL access for the bench (bulk seeding, plans, counters). */
import { Client } from 'pg';

export async function withPg<T>(url: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

export interface DbCounters {
  xacts: number;
  inserted: number;
  updated: number;
  fetched: number;
}

/** The database's transaction and row counters (pg_stat_database). */
export async function dbCounters(url: string): Promise<DbCounters> {
  return withPg(url, async (c) => {
    const { rows } = await c.query(
      `SELECT xact_commit + xact_rollback AS xacts, tup_inserted, tup_updated, tup_fetched
         FROM pg_stat_database WHERE datname = current_database()`,
    );
    const r = rows[0] ?? {};
    return { xacts: Number(r.xacts), inserted: Number(r.tup_inserted), updated: Number(r.tup_updated), fetched: Number(r.tup_fetched) };
  });
}
