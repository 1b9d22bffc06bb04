/**
 * What the standalone query benches (bench/kpi.ts, bench/analysis.ts) share:
 * their command line, a scratch database of their own, a bulk fill done in
 * the database (INSERT ... SELECT generate_series, one transaction, reused
 * when it already holds the orders asked for) and timing of repeated runs.
 */
import { Client } from 'pg';
import { setupDatabase } from '../../scripts/db-setup';
import { summarize, type Log, type Summary } from './util';

export interface BulkOptions {
  orders: number;
  reseed: boolean;
  runs: number;
  explain: boolean;
}

/** --orders N --runs N --reseed --explain / --no-explain, over the bench's defaults. */
export function parseBulkOptions(argv: string[], defaults: BulkOptions): BulkOptions {
  const o = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--orders') o.orders = Number(argv[++i]);
    else if (a === '--runs') o.runs = Number(argv[++i]);
    else if (a === '--reseed') o.reseed = true;
    else if (a === '--explain') o.explain = true;
    else if (a === '--no-explain') o.explain = false;
    else throw new Error(`unknown option ${a}: --orders N, --runs N, --reseed, --explain, --no-explain`);
  }
  if (!Number.isInteger(o.orders) || o.orders < 1) throw new Error('--orders must be a whole number >= 1');
  if (!Number.isInteger(o.runs) || o.runs < 1) throw new Error('--runs must be a whole number >= 1');
  return o;
}

/** `override` as given, else database `name` on the server of DATABASE_URL. */
export function scratchDatabaseUrl(override: string | undefined, name: string): string {
  if (override) return override;
  const u = new URL(process.env.DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/salesorder');
  u.pathname = `/${name}`;
  return u.toString();
}

export const prefixedLog =
  (tag: string): Log =>
  (line) =>
    console.log(`[${tag}] ${line}`);

export interface BulkFill {
  /** SQL LIKE pattern of the bench's order ids ('bk%'): how many are there decides a refill. */
  orderIds: string;
  /** Statements that remove an earlier fill, children first. */
  clear: string[];
  /** The fill, in order (temp tables allowed: one session, one transaction). */
  fill: string[];
  /** A one-row query of row counts, logged after the fill. */
  counts: string;
}

/** Creates and migrates the database (with master data), then fills it unless it already holds `o.orders` bench orders. */
export async function prepareBulkDatabase(url: string, o: BulkOptions, spec: BulkFill, log: Log): Promise<void> {
  log(`database ${url.replace(/\/\/[^@]*@/, '//')}`);
  await setupDatabase({ databaseUrl: url, log });
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query(`SELECT count(*)::int AS n FROM orders WHERE id LIKE $1`, [spec.orderIds]);
    const have = rows[0].n as number;
    if (have === o.orders && !o.reseed) {
      log(`reusing ${have} bench orders in the database`);
      return;
    }
    await c.query('BEGIN');
    if (have > 0) {
      log(`removing ${have} bench orders (${o.reseed ? '--reseed' : `want ${o.orders}`})`);
      for (const sql of spec.clear) await c.query(sql);
    }
    const started = Date.now();
    for (const sql of spec.fill) {
      const t0 = Date.now();
      const r = await c.query(sql);
      if (r.rowCount !== null) log(`  ${sql.trim().split(/\s+/).slice(0, 3).join(' ')}: ${r.rowCount} rows in ${Date.now() - t0} ms`);
    }
    await c.query('COMMIT');
    log(`filled in ${((Date.now() - started) / 1000).toFixed(1)} s; analysing`);
    await c.query('ANALYZE');
    log(`rows: ${JSON.stringify((await c.query(spec.counts)).rows[0])}`);
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    await c.end();
  }
}

/** Runs `fn` `runs` times one after another; the durations' summary (ms). */
export async function timeRuns(runs: number, fn: () => Promise<unknown>): Promise<Summary> {
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return summarize(times);
}

export const ms = (x: number) => `${x.toFixed(1)} ms`;

/** `EXPLAIN (ANALYZE, BUFFERS)` of a statement, as text. */
export async function explain(c: Client, text: string, values: unknown[]): Promise<string> {
  const { rows } = await c.query(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${text}`, values);
  return rows.map((r) => r['QUERY PLAN'] as string).join('\n');
}
