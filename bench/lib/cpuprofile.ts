/**
 * Summaries of V8 CPU profiles (`node --cpu-prof`) of the bench's worker and
 * API processes: self time by package or source file, and the hottest
 * functions, so "where does an order's time go" has an answer in the result.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

export interface ProfileSummary {
  file: string;
  /** Thread: 0 is the main thread (activities, gRPC glue), others are worker threads (workflow code). */
  thread: number;
  sampledMs: number;
  busyMs: number;
  byModule: { module: string; ms: number; share: number }[];
  topFunctions: { fn: string; module: string; ms: number }[];
}

function moduleOf(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  const path = url.replace(/^file:\/\//, '');
  const nm = path.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = path.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (path.startsWith('node:')) return 'node (built-in)';
  if (path.startsWith(ROOT)) {
    const rel = relative(ROOT, path);
    return rel.startsWith('generated/') ? 'generated/prisma' : rel;
  }
  return path.length > 60 ? `...${path.slice(-57)}` : path;
}

export function summarizeProfile(file: string, top = 12): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; startTime: number; endTime: number; samples?: number[] };
  const samples = p.samples?.length ?? p.nodes.reduce((a, n) => a + (n.hitCount ?? 0), 0);
  const msPerSample = samples ? (p.endTime - p.startTime) / 1000 / samples : 0;
  const byModule = new Map<string, number>();
  const byFn = new Map<string, { fn: string; module: string; ms: number }>();
  let idle = 0;
  for (const n of p.nodes) {
    const ms = (n.hitCount ?? 0) * msPerSample;
    if (!ms) continue;
    const fn = n.callFrame.functionName || '(anonymous)';
    if (fn === '(idle)') {
      idle += ms;
      continue;
    }
    const mod = moduleOf(n.callFrame.url, fn);
    byModule.set(mod, (byModule.get(mod) ?? 0) + ms);
    const key = `${mod}:${fn}:${n.callFrame.lineNumber}`;
    const e = byFn.get(key) ?? { fn: `${fn}:${n.callFrame.lineNumber + 1}`, module: mod, ms: 0 };
    e.ms += ms;
    byFn.set(key, e);
  }
  const sampledMs = (p.endTime - p.startTime) / 1000;
  const busyMs = sampledMs - idle;
  const r = (x: number) => Math.round(x);
  const m = /\.(\d+)\.(\d+)\.(\d+)\.cpuprofile$/.exec(file);
  return {
    file,
    thread: m ? Number(m[2]) : -1,
    sampledMs: r(sampledMs),
    busyMs: r(busyMs),
    byModule: [...byModule.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([module, ms]) => ({ module, ms: r(ms), share: Math.round((ms / Math.max(1, busyMs)) * 1000) / 1000 })),
    topFunctions: [...byFn.values()].sort((a, b) => b.ms - a.ms).slice(0, top).map((e) => ({ ...e, ms: r(e.ms) })),
  };
}

/** Summaries of every profile in `dir`, busiest first. */
export function summarizeProfiles(dir: string): ProfileSummary[] {
  let files: string[] = [];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  } catch {
    return [];
  }
  return files.map((f) => summarizeProfile(join(dir, f))).sort((a, b) => b.busyMs - a.busyMs);
}
