/**
 * Brings the database named by DATABASE_URL up to date: creates it when
 * missing, generates the Prisma client when it is missing, applies the
 * committed migrations and seeds the master data (idempotent).
 *
 *   tsx scripts/db-setup.ts [--recreate] [--no-seed]
 *
 * `setupDatabase()` is also used by the jest global setup (with `recreate`).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';

const ROOT = join(__dirname, '..');

export interface DbSetupOptions {
  databaseUrl: string;
  /** Drop the database (terminating its connections) and create it again first. */
  recreate?: boolean;
  /** Seed master data after migrating (default true). */
  seed?: boolean;
  /** Progress lines; default console.log with a `[db]` prefix. */
  log?: (line: string) => void;
}

export async function setupDatabase(opts: DbSetupOptions): Promise<void> {
  const log = opts.log ?? ((line: string) => console.log(`[db] ${line}`));
  const target = new URL(opts.databaseUrl);
  const dbName = decodeURIComponent(target.pathname.replace(/^\//, ''));
  if (!dbName) throw new Error(`DATABASE_URL names no database: ${redact(opts.databaseUrl)}`);

  // 1. The database itself, through the server's maintenance database.
  const admin = new URL(opts.databaseUrl);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  try {
    await client.connect();
  } catch (err) {
    throw new Error(`cannot connect to PostgreSQL at ${target.host} (${(err as Error).message}); is it running?`);
  }
  try {
    const ident = `"${dbName.replace(/"/g, '""')}"`;
    if (opts.recreate) {
      await client.query(`DROP DATABASE IF EXISTS ${ident} WITH (FORCE)`);
      log(`dropped database ${dbName}`);
    }
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [dbName]);
    if (rowCount) {
      log(`database ${dbName} exists on ${target.host}`);
    } else {
      try {
        await client.query(`CREATE DATABASE ${ident} ENCODING 'UTF8' TEMPLATE template0`);
        log(`created database ${dbName} on ${target.host}`);
      } catch (err) {
        // Another process created it in the meantime.
        if ((err as { code?: string }).code !== '42P04') throw err;
        log(`database ${dbName} exists on ${target.host}`);
      }
    }
  } finally {
    await client.end();
  }

  // 2. The generated client (gitignored), needed by the seed and the app.
  const env = { ...process.env, DATABASE_URL: opts.databaseUrl };
  ensurePrismaClient(opts.databaseUrl, log);

  // 3. Migrations.
  const out = await migrateDeploy(env);
  const applied = /(\d+) migrations? found/.exec(out);
  if (/No pending migrations/i.test(out)) log(`migrations up to date${applied ? ` (${applied[1]} in prisma/migrations)` : ''}`);
  else log(`migrations applied${applied ? ` (${applied[1]} in prisma/migrations)` : ''}`);

  // 4. Master data. Imported late: the generated client may have just been made.
  if (opts.seed !== false) {
    const { createPrisma } = await import('../activities/infra/db');
    const { seed } = await import('../prisma/seed');
    const client = createPrisma(opts.databaseUrl);
    try {
      const r = await seed(client);
      log(`seed data present: ${r.customers} customers, ${r.products} products, ${r.carriers} carriers, ${r.users} users`);
    } finally {
      await client.$disconnect();
    }
  }
}

/** Runs the Prisma CLI; returns its stdout, and shows its output only when it fails. */
function prisma(args: string[], env: NodeJS.ProcessEnv): string {
  const local = join(ROOT, 'node_modules/.bin/prisma');
  const [cmd, argv] = existsSync(local) ? [local, args] : ['npx', ['--no-install', 'prisma', ...args]];
  const r = spawnSync(cmd, argv, { cwd: ROOT, env: { ...env, CHECKPOINT_DISABLE: '1' }, encoding: 'utf8' });
  if (r.error) throw new Error(`prisma ${args.join(' ')}: ${r.error.message}`);
  if (r.status !== 0) {
    throw new Error(`prisma ${args.join(' ')} failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`.trim());
  }
  return `${r.stdout}\n${r.stderr}`;
}

/**
 * Generates the Prisma client (generated/prisma, gitignored) when it is
 * missing, e.g. on a fresh clone. Import what uses the client only after.
 */
export function ensurePrismaClient(databaseUrl: string, log: (line: string) => void): void {
  if (existsSync(join(ROOT, 'generated/prisma/client.ts'))) return;
  log('generating the Prisma client (generated/prisma)');
  // The CLI stays offline only with DATABASE_URL set (ENVIRONMENT.md).
  prisma(['generate'], { ...process.env, DATABASE_URL: databaseUrl });
}

/**
 * `prisma migrate deploy`. The CLI (6.19, Wasm engine + pg adapter) finishes
 * its work in well under a second but then idles ~10 s on an internal timer
 * before exiting; once it has printed its final success line the work is
 * committed, so stop it there instead of waiting.
 */
function migrateDeploy(env: NodeJS.ProcessEnv): Promise<string> {
  const local = join(ROOT, 'node_modules/.bin/prisma');
  const [cmd, argv] = existsSync(local)
    ? [local, ['migrate', 'deploy']]
    : ['npx', ['--no-install', 'prisma', 'migrate', 'deploy']];
  const DONE = /No pending migrations to apply|All migrations have been successfully applied/;
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, argv, { cwd: ROOT, env: { ...env, CHECKPOINT_DISABLE: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (!done && DONE.test(stdout)) {
        done = true;
        timer = setTimeout(() => child.kill('SIGTERM'), 300);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', (err) => reject(new Error(`prisma migrate deploy: ${err.message}`)));
    child.on('close', (code) => {
      if (timer) clearTimeout(timer);
      if (done || code === 0) resolvePromise(`${stdout}\n${stderr}`);
      else reject(new Error(`prisma migrate deploy failed (exit ${code}):\n${stdout}\n${stderr}`.trim()));
    });
  });
}

function redact(u: string): string {
  try {
    const x = new URL(u);
    if (x.password) x.password = '***';
    return x.toString();
  } catch {
    return u;
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const unknown = args.filter((a) => !['--recreate', '--no-seed'].includes(a));
  if (unknown.length) {
    console.error(`usage: tsx scripts/db-setup.ts [--recreate] [--no-seed] (unknown: ${unknown.join(' ')})`);
    process.exit(2);
  }
  const { loadConfig } = await import('../activities/infra/config');
  const { databaseUrl } = loadConfig();
  await setupDatabase({ databaseUrl, recreate: args.includes('--recreate'), seed: !args.includes('--no-seed') });
  console.log('[db] ready');
}

if (require.main === module) {
  main().catch((err) => {
    console.error(`[db] ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
