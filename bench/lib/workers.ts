/**
 * One or more order workers on the same task queue, seen as one: RSS summed,
 * activity counts merged (bench --cluster compares one worker with two).
 */
import { startChild, type Child } from './procs';
import type { Log } from './util';

export interface WorkerGroup {
  all: Child[];
  /** Sum of the workers' resident memory, MiB. */
  rssMiB(): number;
  /**
   * The first worker's stats with the activity counts (n, failures, totalMs)
   * summed over every worker; percentiles stay the first worker's.
   */
  stats(): Promise<any>;
}

export async function startWorkers(name: string, count: number, env: Record<string, string>, log: Log, profileDir?: (i: number) => string | undefined): Promise<WorkerGroup> {
  const all = await Promise.all(
    Array.from({ length: count }, (_, i) => startChild(count > 1 ? `${name} ${i + 1}` : name, 'worker.ts', env, log, { profileDir: profileDir?.(i) })),
  );
  return {
    all,
    rssMiB: () => all.reduce((sum, w) => sum + w.rssMiB(), 0),
    async stats() {
      const each = await Promise.all(all.map((w) => w.stats<any>()));
      if (each.length === 1) return each[0];
      const activities: Record<string, any> = {};
      for (const s of each) {
        for (const [activity, a] of Object.entries<any>(s.activities ?? {})) {
          const into = (activities[activity] ??= { ...a, n: 0, failures: 0, totalMs: 0 });
          into.n += a.n;
          into.failures += a.failures;
          into.totalMs += a.totalMs;
        }
      }
      return {
        ...each[0],
        activities,
        heapUsedMiB: each.reduce((sum, s) => sum + (s.heapUsedMiB ?? 0), 0),
        pg: each[0].pg ? { statements: each.reduce((sum, s) => sum + (s.pg?.statements ?? 0), 0), transactions: each.reduce((sum, s) => sum + (s.pg?.transactions ?? 0), 0) } : undefined,
        perWorker: each.map((s) => ({ rssMiB: s.rssMiB, eventLoopUtilization: s.eventLoopUtilization })),
      };
    },
  };
}
