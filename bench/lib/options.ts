/**
 * The bench's command line: options and their defaults (full and --smoke).
 */
import { resolve } from 'node:path';
import { PHASES, type BenchOptions, type Phase } from './context';
import { defaultLog } from './util';

export const USAGE = 'usage: npm run bench -- [--orders N] [--concurrency C] [--warmup W] [--rounds R] [--smoke] [--only pipeline,baseline,scale,read] [--scale-orders N] [--scale-timed K] [--scale-deadline 2m] [--scale-concurrency C] [--read-rows N] [--read-requests N] [--worker-options JSON] [--database NAME] [--profile] [--cluster]';

export function benchDatabaseUrl(base: string | undefined, name: string): string {
  const u = new URL(base || 'postgresql://postgres@127.0.0.1:5432/salesorder');
  u.pathname = `/${name}`;
  return u.toString();
}

export function parseArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): BenchOptions {
  const args = new Map<string, string>();
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}\n${USAGE}`);
    const [k, inline] = a.slice(2).split(/=(.*)/s, 2);
    if (k === 'smoke' || k === 'help' || k === 'profile' || k === 'cluster') flags.add(k);
    else if (inline !== undefined) args.set(k, inline);
    else if (i + 1 < argv.length) args.set(k, argv[++i]);
    else throw new Error(`--${k} needs a value\n${USAGE}`);
  }
  if (flags.has('help')) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const known = ['orders', 'concurrency', 'warmup', 'rounds', 'only', 'scale-orders', 'scale-timed', 'scale-deadline', 'scale-concurrency', 'read-rows', 'read-requests', 'worker-options', 'database'];
  for (const k of args.keys()) if (!known.includes(k)) throw new Error(`unknown option --${k}\n${USAGE}`);
  const smoke = flags.has('smoke');
  const int = (k: string, dflt: number, min = 1) => {
    const v = args.get(k);
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${k} must be a whole number >= ${min}`);
    return n;
  };
  // --cluster compares Temporal deployments on the order pipeline and the waiting orders.
  const only = (args.get('only') ?? (flags.has('cluster') ? 'pipeline,scale' : PHASES.join(','))).split(',').map((s) => s.trim()).filter(Boolean) as Phase[];
  for (const p of only) if (!PHASES.includes(p)) throw new Error(`--only: unknown phase ${p} (${PHASES.join(', ')})`);
  const concurrency = int('concurrency', smoke ? 3 : 50);
  return {
    smoke,
    orders: int('orders', smoke ? 3 : 200),
    concurrency,
    warmup: int('warmup', smoke ? 0 : 20, 0),
    rounds: int('rounds', smoke || flags.has('cluster') ? 1 : 3),
    only,
    scaleOrders: int('scale-orders', smoke ? 50 : 10_000),
    scaleTimed: int('scale-timed', smoke ? 1_000_000 : 1_000),
    scaleDeadline: args.get('scale-deadline') ?? (smoke ? '5s' : '2m'),
    scaleConcurrency: int('scale-concurrency', smoke ? 10 : concurrency),
    readRows: int('read-rows', smoke ? 1_000 : 100_000),
    readRequests: int('read-requests', smoke ? 5 : 200),
    temporalAddress: env.TEMPORAL_ADDRESS || undefined,
    // --cluster has a database of its own, so it never clobbers a plain bench run's; --database (or
    // BENCH_DATABASE) names another, so two runs on one PostgreSQL server do not recreate each other's.
    databaseUrl: benchDatabaseUrl(env.DATABASE_URL, databaseName(args.get('database') ?? env.BENCH_DATABASE, flags.has('cluster'))),
    resultsDir: resolve(__dirname, '../results'),
    profile: flags.has('profile'),
    cluster: flags.has('cluster'),
    workerOptions: args.has('worker-options') ? JSON.parse(args.get('worker-options')!) : undefined,
    log: defaultLog,
  };
}

/** The bench database's name: given, or the default of the mode; a plain identifier, since it is dropped and re-created. */
function databaseName(given: string | undefined, cluster: boolean): string {
  const name = given || (cluster ? 'salesorder_bench_cluster' : 'salesorder_bench');
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`--database: "${name}" is not a plain lower-case identifier`);
  return name;
}
