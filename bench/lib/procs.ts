/**
 * Child processes of the bench (Temporal dev server, workers, APIs): every
 * one is registered here and killed when the bench process exits, however it
 * exits. Workers and APIs are TypeScript files forked with the tsx loader and
 * talk to the bench over IPC: they send { type: 'ready', ... } once serving,
 * answer { type: 'stats' } requests, and drain and exit on { type: 'stop' }.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { rssMiB, sleep, withTimeout, type Log } from './util';

const ROOT = resolve(__dirname, '../..');

const exitHooks = new Set<() => void>();
let installed = false;

function runExitHooks(): void {
  for (const h of [...exitHooks]) {
    try {
      h();
    } catch {
      // best effort
    }
  }
  exitHooks.clear();
}

/** Registers `fn` to run when the process exits (or is interrupted); returns the unregister function. */
export function onExit(fn: () => void): () => void {
  if (!installed) {
    installed = true;
    process.once('exit', runExitHooks);
    for (const sig of ['SIGINT', 'SIGTERM'] as const) {
      process.once(sig, () => {
        runExitHooks();
        process.exit(130);
      });
    }
  }
  exitHooks.add(fn);
  return () => exitHooks.delete(fn);
}

export interface Child {
  name: string;
  pid: number;
  /** What the child said in its 'ready' message. */
  ready: Record<string, unknown>;
  /** Asks the child for its stats (see proc/*.ts). */
  stats<T = Record<string, unknown>>(): Promise<T>;
  rssMiB(): number;
  /** Asks the child to drain and exit; kills it after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/** Forks `bench/proc/<file>` with the tsx loader and waits for its 'ready' message. */
export async function startChild(
  name: string,
  file: string,
  env: Record<string, string>,
  log: Log,
  opts: { readyTimeoutMs?: number; profileDir?: string } = {},
): Promise<Child> {
  const readyTimeoutMs = opts.readyTimeoutMs ?? 120_000;
  // --cpu-prof: V8 writes a profile per thread when the process exits normally (stop(), not a kill).
  const profile = opts.profileDir ? ['--cpu-prof', '--cpu-prof-dir', opts.profileDir] : [];
  const child: ChildProcess = fork(resolve(ROOT, 'bench/proc', file), [], {
    cwd: ROOT,
    execArgv: ['--import', 'tsx', ...profile],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  const unregister = onExit(kill);
  let exited: string | undefined;
  const exitWaiters = new Set<() => void>();
  child.once('exit', (code, signal) => {
    exited = `${name} exited (${signal ?? code})`;
    unregister();
    for (const w of exitWaiters) w();
  });
  let seq = 0;
  const pending = new Map<number, (m: any) => void>();
  let readyResolve: ((m: Record<string, unknown>) => void) | undefined;
  child.on('message', (m: any) => {
    if (m?.type === 'ready') readyResolve?.(m);
    else if (m?.type === 'reply' && pending.has(m.id)) {
      pending.get(m.id)!(m.data);
      pending.delete(m.id);
    }
  });
  const ready = await withTimeout(
    new Promise<Record<string, unknown>>((resolveReady, reject) => {
      readyResolve = resolveReady;
      exitWaiters.add(() => reject(new Error(`${exited} before it was ready`)));
    }),
    readyTimeoutMs,
    `${name} start`,
  ).catch((err) => {
    kill();
    throw err;
  });
  log(`${name} ready (pid ${child.pid})`);
  return {
    name,
    pid: child.pid!,
    ready,
    stats<T>() {
      if (exited) return Promise.reject(new Error(exited));
      const id = ++seq;
      const p = new Promise<T>((r) => pending.set(id, r as (m: any) => void));
      child.send({ type: 'stats', id });
      return withTimeout(p, 30_000, `${name} stats`);
    },
    rssMiB: () => rssMiB(child.pid!),
    async stop(graceMs = 15_000) {
      if (exited) return;
      const gone = new Promise<void>((r) => exitWaiters.add(r));
      try {
        child.send({ type: 'stop' });
      } catch {
        // channel closed
      }
      await Promise.race([gone, sleep(graceMs)]);
      kill();
      await Promise.race([gone, sleep(2_000)]);
    },
  };
}

/** Child side: answer stats requests and stop requests from the bench. */
export function serveParent(handlers: { stats: () => unknown | Promise<unknown>; stop: () => Promise<void> }): void {
  if (!process.send) throw new Error('this file is run by the bench (bench/run.ts), not directly');
  process.on('message', (m: any) => {
    if (m?.type === 'stats') {
      Promise.resolve(handlers.stats()).then(
        (data) => process.send?.({ type: 'reply', id: m.id, data }),
        (err) => process.send?.({ type: 'reply', id: m.id, data: { error: String(err) } }),
      );
    } else if (m?.type === 'stop') {
      handlers.stop().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    }
  });
  // The bench went away: do not outlive it.
  process.on('disconnect', () => {
    handlers.stop().finally(() => process.exit(0));
    setTimeout(() => process.exit(1), 10_000).unref();
  });
}
