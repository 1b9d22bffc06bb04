/**
 * The chaos command line: `npm run chaos -- --orders N --seed S [...]`.
 */
export interface ChaosOptions {
  orders: number;
  seed: number;
  /** Orders driven at once. */
  concurrency: number;
  workers: number;
  workerKills: number;
  serverRestarts: number;
  /** Seconds the SMTP server is away (0: no outage). */
  smtpOutageS: number;
  /** No new command after this many seconds. */
  commandPhaseS: number;
  settleTimeoutS: number;
  /** The run's own database (recreated). */
  databaseUrl: string;
  /** Keep the run's directory (process logs, the Temporal SQLite file). */
  keepLogs: boolean;
  /** Print a few refusal messages per command kind. */
  verbose: boolean;
  log: (line: string) => void;
}

export const USAGE =
  'usage: npm run chaos -- [--orders 20] [--seed 1] [--concurrency C] [--workers 2] [--worker-kills 3] [--server-restarts 1] ' +
  '[--smtp-outage 20] [--command-phase 600] [--settle-timeout 240] [--keep-logs] [--verbose]';

export function chaosDatabaseUrl(base: string | undefined, name = 'salesorder_chaos'): string {
  const u = new URL(base || 'postgresql://postgres@127.0.0.1:5432/salesorder');
  u.pathname = `/${name}`;
  return u.toString();
}

export function parseChaosArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): ChaosOptions {
  const args = new Map<string, string>();
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}\n${USAGE}`);
    const [k, inline] = a.slice(2).split(/=(.*)/s, 2);
    if (k === 'keep-logs' || k === 'help' || k === 'verbose') flags.add(k);
    else if (inline !== undefined) args.set(k, inline);
    else if (i + 1 < argv.length) args.set(k, argv[++i]);
    else throw new Error(`--${k} needs a value\n${USAGE}`);
  }
  if (flags.has('help')) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const known = ['orders', 'seed', 'concurrency', 'workers', 'worker-kills', 'server-restarts', 'smtp-outage', 'command-phase', 'settle-timeout'];
  for (const k of args.keys()) if (!known.includes(k)) throw new Error(`unknown option --${k}\n${USAGE}`);
  const int = (k: string, dflt: number, min = 0) => {
    const v = args.get(k);
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${k} must be a whole number >= ${min}`);
    return n;
  };
  const orders = int('orders', 20, 1);
  return {
    orders,
    seed: int('seed', 1),
    concurrency: int('concurrency', Math.min(orders, 30), 1),
    workers: int('workers', 2, 1),
    workerKills: int('worker-kills', 3),
    serverRestarts: int('server-restarts', 1),
    smtpOutageS: int('smtp-outage', 20),
    commandPhaseS: int('command-phase', 600, 10),
    settleTimeoutS: int('settle-timeout', 240, 10),
    databaseUrl: env.CHAOS_DATABASE_URL || chaosDatabaseUrl(env.DATABASE_URL),
    keepLogs: flags.has('keep-logs'),
    verbose: flags.has('verbose'),
    log: (line) => process.stdout.write(`[chaos] ${line}\n`),
  };
}
