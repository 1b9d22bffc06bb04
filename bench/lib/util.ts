/**
 * Small helpers shared by the bench: percentiles, timing, bounded waits,
 * free loopback ports, logging.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';

export interface Summary {
  n: number;
  p50: number;
  p99: number;
  mean: number;
  min: number;
  max: number;
}

/** Nearest-rank percentile of an ascending-sorted array (q in 0..1). */
export function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1];
}

const round = (x: number, dp = 2) => (Number.isFinite(x) ? Math.round(x * 10 ** dp) / 10 ** dp : x);

/** n, p50, p99, mean, min, max of the values (NaN for an empty set, rounded to 2 dp). */
export function summarize(values: number[]): Summary {
  const s = [...values].sort((a, b) => a - b);
  const n = s.length;
  return {
    n,
    p50: round(percentile(s, 0.5)),
    p99: round(percentile(s, 0.99)),
    mean: round(n ? s.reduce((a, b) => a + b, 0) / n : NaN),
    min: round(n ? s[0] : NaN),
    max: round(n ? s[n - 1] : NaN),
  };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export const nowMs = () => performance.now();

/** Rejects when `p` takes longer than `ms` (the timer never keeps the process alive). */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result within ${Math.round(ms / 1000)} s`)), ms);
    timer.unref();
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** Polls `check` until it returns a value other than undefined, at most `timeoutMs`. */
export async function waitFor<T>(check: () => Promise<T | undefined>, opts: { timeoutMs: number; intervalMs: number; what: string }): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${opts.what}: not reached within ${Math.round(opts.timeoutMs / 1000)} s`);
    await sleep(opts.intervalMs);
  }
}

/** Runs `task(i)` for i in [0, count) with at most `concurrency` at a time. */
export async function pool(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.max(1, Math.min(concurrency, count)) }, async () => {
    for (;;) {
      const i = next++;
      if (i >= count) return;
      await task(i);
    }
  });
  await Promise.all(lanes);
}

/** Loopback ports the OS says are free right now (held together so they differ). */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<Server>((resolve, reject) => {
          const s = createServer();
          s.once('error', reject);
          s.listen(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

export type Log = (line: string) => void;

export const defaultLog: Log = (line) => process.stdout.write(`[bench] ${line}\n`);

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Resident set size of a process in MiB, from /proc (NaN where there is no /proc). */
export function rssMiB(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(status);
    return m ? round(Number(m[1]) / 1024, 1) : NaN;
  } catch {
    return NaN;
  }
}

interface ProcStat {
  comm: string;
  ppid: number;
  /** utime + stime, and cutime + cstime (children already reaped), in clock ticks. */
  ticks: number;
  childTicks: number;
}

/** One process's line of /proc/<pid>/stat, or null when it is gone. */
function procStat(pid: number | string): ProcStat | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may hold spaces; fields follow it.
    const close = stat.lastIndexOf(')');
    const f = stat.slice(close + 2).split(' ');
    return {
      comm: stat.slice(stat.indexOf('(') + 1, close),
      ppid: Number(f[1]),
      ticks: Number(f[11]) + Number(f[12]), // utime, stime (fields 14 and 15 of the line)
      childTicks: Number(f[13]) + Number(f[14]), // cutime, cstime
    };
  } catch {
    return null;
  }
}

const USER_HZ = 100; // clock ticks per second on Linux

/** CPU seconds (user + system, all threads) a process has used so far, from /proc (NaN where there is none). */
export function cpuSeconds(pid: number): number {
  const s = procStat(pid);
  return s ? s.ticks / USER_HZ : NaN;
}

/**
 * CPU seconds of the local PostgreSQL server: every `postgres` process alive
 * now plus what the ones that already exited used (the postmaster's cutime
 * and cstime). Compare two readings for the work in between; NaN when no
 * PostgreSQL process is visible (a remote server).
 */
export function postgresCpuSeconds(): number {
  const pg = new Map<number, ProcStat>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const s = procStat(entry);
    if (s?.comm === 'postgres') pg.set(Number(entry), s);
  }
  if (pg.size === 0) return NaN;
  let ticks = 0;
  // The postmaster (whose parent is not postgres) also counts its reaped children.
  for (const s of pg.values()) ticks += s.ticks + (pg.has(s.ppid) ? 0 : s.childTicks);
  return ticks / USER_HZ;
}
