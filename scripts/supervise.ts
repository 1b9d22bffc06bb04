/**
 * The process supervisor of `npm start` (scripts/start.sh): runs the mail
 * catcher, the worker and the API as child processes, prefixes their output
 * lines with `[name]`, and keeps them running on their own:
 *
 *   - a child that exits while the stack runs (a crash, `kill -9`) is started
 *     again after a back-off (1 s, doubling to 30 s; back to 1 s once it has
 *     stayed up for a minute), each restart printed; the others keep running,
 *     so one process can be restarted (or killed to restart) alone;
 *   - SIGINT (Ctrl-C) or SIGTERM stops all of them (SIGTERM, then SIGKILL
 *     after 15 s) and the supervisor exits 0.
 *
 * Usage: tsx scripts/supervise.ts '{"worker":["node_modules/.bin/tsx","worker/main.ts"],"api":[...]}'
 * (one JSON object: name -> command and arguments). SUPERVISE_BACKOFF_MS
 * shrinks the first back-off (tests).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

const FIRST_BACKOFF_MS = Number(process.env.SUPERVISE_BACKOFF_MS ?? 1_000);
const MAX_BACKOFF_MS = 30_000;
/** Up this long: the next crash is a new incident, back-off starts over. */
const STABLE_MS = 60_000;
const STOP_GRACE_MS = 15_000;

const say = (line: string) => process.stdout.write(`[supervisor] ${line}\n`);

interface Child {
  name: string;
  command: string[];
  proc?: ChildProcess;
  startedAt: number;
  backoffMs: number;
  restarts: number;
  timer?: NodeJS.Timeout;
}

let stopping = false;

function pipe(name: string, stream: NodeJS.ReadableStream | null, out: NodeJS.WriteStream): void {
  if (!stream) return;
  createInterface({ input: stream }).on('line', (line) => out.write(`[${name}] ${line}\n`));
}

function start(c: Child): void {
  c.startedAt = Date.now();
  const proc = spawn(c.command[0], c.command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
  c.proc = proc;
  pipe(c.name, proc.stdout, process.stdout);
  pipe(c.name, proc.stderr, process.stderr);
  if (c.restarts > 0) say(`${c.name} started again (pid ${proc.pid}, restart ${c.restarts})`);
  proc.on('error', (err) => say(`${c.name} could not be started: ${err.message}`));
  proc.on('exit', (code, signal) => {
    c.proc = undefined;
    if (stopping) return;
    if (Date.now() - c.startedAt >= STABLE_MS) c.backoffMs = FIRST_BACKOFF_MS;
    const how = signal ? `signal ${signal}` : `status ${code}`;
    say(`${c.name} exited (${how}); restarting in ${(c.backoffMs / 1000).toFixed(1)} s`);
    c.timer = setTimeout(() => {
      c.timer = undefined;
      if (stopping) return;
      c.restarts += 1;
      start(c);
    }, c.backoffMs);
    c.backoffMs = Math.min(c.backoffMs * 2, MAX_BACKOFF_MS);
  });
}

async function stopAll(children: Child[], signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  say(`${signal}: stopping ${children.map((c) => c.name).join(', ')}`);
  for (const c of children) if (c.timer) clearTimeout(c.timer);
  const running = children.filter((c) => c.proc);
  const exited = running.map((c) => new Promise<void>((r) => c.proc!.once('exit', () => r())));
  // The terminal's Ctrl-C reached the children too; SIGTERM covers a kill of the supervisor alone.
  for (const c of running) c.proc!.kill('SIGTERM');
  const force = setTimeout(() => {
    for (const c of running) c.proc?.kill('SIGKILL');
  }, STOP_GRACE_MS);
  await Promise.all(exited);
  clearTimeout(force);
  say('stopped');
  process.exit(0);
}

function main(argv: string[]): void {
  let spec: Record<string, string[]>;
  try {
    spec = JSON.parse(argv[0] ?? '');
    if (!spec || typeof spec !== 'object' || Object.values(spec).some((c) => !Array.isArray(c) || c.length === 0)) throw new Error('bad spec');
  } catch {
    process.stderr.write('usage: supervise.ts \'{"name":["command","arg",...],...}\'\n');
    process.exit(2);
  }
  const children: Child[] = Object.entries(spec).map(([name, command]) => ({ name, command, startedAt: 0, backoffMs: FIRST_BACKOFF_MS, restarts: 0 }));
  process.on('SIGINT', () => void stopAll(children, 'SIGINT'));
  process.on('SIGTERM', () => void stopAll(children, 'SIGTERM'));
  for (const c of children) start(c);
  say(`running ${children.map((c) => `${c.name} (pid ${c.proc?.pid})`).join(', ')}; a crashed one is restarted, Ctrl-C stops all`);
}

main(process.argv.slice(2));
