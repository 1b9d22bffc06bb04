/**
 * A Temporal cluster of the production topology for a test or a bench run:
 * scripts/cluster.sh (the same script and deploy/ files as `npm run
 * start:cluster`) on free loopback ports, with databases of the caller's own,
 * recreated. The caller can kill and restart the server (failover tests) and
 * must stop() it; if the process dies first, the server is killed on exit.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { Client as PgClient } from 'pg';

const ROOT = resolve(__dirname, '../..');
const SCRIPT = join(ROOT, 'scripts/cluster.sh');

export interface ClusterOptions {
  /** Pid files and logs. */
  dir: string;
  /** The app's database URL: Temporal's databases go on the same PostgreSQL server. */
  databaseUrl: string;
  /** Temporal's two databases (dropped and created). */
  dbName: string;
  visibilityDbName: string;
  shards?: number;
  /** Start the Web UI server too (default false). */
  ui?: boolean;
  /** Where the UI's codec endpoint points (an API's /codec). */
  codecEndpoint?: string;
  log: (line: string) => void;
}

export interface Cluster {
  address: string;
  uiUrl?: string;
  serverPid(): number | undefined;
  /** SIGKILL to the server process (a crash: no shutdown of any kind). */
  killServer(): void;
  /** Starts the server again on the same ports and databases (scripts/cluster.sh start). */
  restartServer(): Promise<void>;
  stop(): Promise<void>;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const s = createServer();
    s.once('error', () => done(false));
    s.listen(port, '127.0.0.1', () => s.close(() => done(true)));
  });
}

/** `count` consecutive free ports (the server's internal ports are a range). */
async function freeRange(count: number, avoid: Set<number>): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    // Below 32768: the server stores membership ports in a smallint column.
    const base = 20_000 + Math.floor(Math.random() * 12_000);
    let ok = true;
    for (let p = base; p < base + count && ok; p++) ok = !avoid.has(p) && (await portFree(p));
    if (ok) return base;
  }
  throw new Error(`no ${count} consecutive free ports found`);
}

async function recreateDatabases(databaseUrl: string, names: string[]): Promise<void> {
  const admin = new URL(databaseUrl);
  admin.pathname = '/postgres';
  const pg = new PgClient({ connectionString: admin.toString() });
  await pg.connect();
  try {
    for (const name of names) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`unsafe database name ${name}`);
      await pg.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }
  } finally {
    await pg.end();
  }
}

export async function startCluster(o: ClusterOptions): Promise<Cluster> {
  mkdirSync(o.dir, { recursive: true });
  const [port, uiPort] = await Promise.all([freeRange(1, new Set()), freeRange(1, new Set())]);
  const base = await freeRange(8, new Set([port, uiPort]));
  // setup-schema.sh creates them again, empty.
  await recreateDatabases(o.databaseUrl, [o.dbName, o.visibilityDbName]);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CLUSTER_DIR: o.dir,
    DATABASE_URL: o.databaseUrl,
    TEMPORAL_PORT: String(port),
    TEMPORAL_INTERNAL_PORT_BASE: String(base),
    TEMPORAL_UI_PORT: String(uiPort),
    TEMPORAL_DB_NAME: o.dbName,
    TEMPORAL_VISIBILITY_DB_NAME: o.visibilityDbName,
    TEMPORAL_HISTORY_SHARDS: String(o.shards ?? 4),
    CLUSTER_UI: o.ui ? '1' : '0',
    ...(o.codecEndpoint ? { TEMPORAL_UI_CODEC_ENDPOINT: o.codecEndpoint } : {}),
  };
  const run = (command: 'start' | 'stop') =>
    new Promise<void>((done, fail) => {
      const child = spawn('bash', [SCRIPT, command], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
      const lines: string[] = [];
      const take = (chunk: Buffer) => {
        for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
          lines.push(line);
          o.log(line);
        }
      };
      child.stdout.on('data', take);
      child.stderr.on('data', take);
      child.once('error', fail);
      child.once('exit', (code) => (code === 0 ? done() : fail(new Error(`scripts/cluster.sh ${command} failed (${code}):\n${lines.slice(-20).join('\n')}`))));
    });
  const pidOf = (name: string): number | undefined => {
    const file = join(o.dir, `${name}.pid`);
    return existsSync(file) ? Number(readFileSync(file, 'utf8').trim()) : undefined;
  };
  const killNow = (name: string) => {
    const pid = pidOf(name);
    if (!pid) return;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  // The server runs in its own session (setsid), so it would outlive a crashed caller.
  const onExit = () => {
    killNow('temporal-server');
    killNow('temporal-ui');
  };
  process.once('exit', onExit);

  try {
    await run('start');
  } catch (err) {
    onExit();
    throw err;
  }
  return {
    address: `127.0.0.1:${port}`,
    uiUrl: o.ui ? `http://127.0.0.1:${uiPort}` : undefined,
    serverPid: () => pidOf('temporal-server'),
    killServer: () => killNow('temporal-server'),
    restartServer: () => run('start'),
    async stop() {
      process.removeListener('exit', onExit);
      await run('stop').catch((err) => {
        onExit();
        throw err;
      });
    },
  };
}

/**
 * Builds the cluster's binaries when missing (scripts/cluster.sh ensure shows the build's progress).
 * `ui: false` (a cluster started without the Web UI) needs no UI server.
 */
export function ensureClusterTools(log: (line: string) => void, o: { ui?: boolean } = {}): void {
  const bin = join(ROOT, '.tools/bin');
  const needed = ['temporal-server', 'temporal-sql-tool', 'temporal', ...(o.ui === false ? [] : ['temporal-ui-server'])];
  if (needed.every((b) => existsSync(join(bin, b)))) return;
  log('the Temporal server binaries are missing: building them (scripts/cluster.sh ensure)');
  const r = spawnSync('bash', [SCRIPT, 'ensure'], { stdio: 'inherit', cwd: ROOT });
  if (r.status !== 0) throw new Error('could not build the Temporal server binaries (scripts/cluster.sh ensure)');
}
