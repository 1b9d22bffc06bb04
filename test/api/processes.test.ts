/**
 * The API as a process (issue 10, "What was found" 7, item l): started alone
 * it reads its settings from .env (a real environment variable still wins),
 * and under the supervisor of `npm start` (scripts/supervise.ts) a killed API
 * is restarted on its own while the other processes keep running; SIGINT
 * stops them all. Real processes: tsx api/server.ts against the test's
 * PostgreSQL and Temporal server, reached over HTTP.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Generous: tsx compiles the API on every start, which took over two minutes on a machine shared by many jobs.
jest.setTimeout(1_000_000);

const ROOT = join(__dirname, '..', '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

async function until<T>(what: string | (() => string), fn: () => T | undefined | Promise<T | undefined>, timeoutMs = 400_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${typeof what === 'function' ? what() : what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const health = async (port: number): Promise<number | undefined> => {
  try {
    return (await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2_000) })).status;
  } catch {
    return undefined;
  }
};

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

let supervisor: ChildProcess | undefined;
afterAll(() => {
  // SIGTERM, not SIGKILL: the supervisor then stops its children too (a failed test leaves nothing running).
  if (supervisor?.exitCode === null) supervisor.kill('SIGTERM');
});

it('the API reads .env when started alone; under the supervisor a killed API comes back alone; SIGINT stops all', async () => {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'salesorder-env-'));
  const envFile = join(dir, '.env');
  // Settings only in the file: if .env were ignored the API would listen on the default port 3000.
  writeFileSync(
    envFile,
    [
      '# written by test/api/processes.test.ts',
      `DATABASE_URL=${process.env.DATABASE_URL}`,
      `TEMPORAL_ADDRESS=${process.env.TEMPORAL_ADDRESS}`,
      `PAYLOAD_CODEC_KEY=${process.env.PAYLOAD_CODEC_KEY}`,
      'HOST=127.0.0.1',
      `PORT=${port}`,
      'MAIL_FROM="From The File <file@example.com>"',
      '',
    ].join('\n'),
  );
  const env: NodeJS.ProcessEnv = { ...process.env, ENV_FILE: envFile, SUPERVISE_BACKOFF_MS: '300', MAIL_FROM: 'Real Env <real@example.com>', LOG_LEVEL: 'warn' };
  for (const k of ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'PAYLOAD_CODEC_KEY', 'HOST', 'PORT']) delete env[k];

  const spec = { api: [TSX, 'api/server.ts'], idle: [process.execPath, '-e', 'setInterval(() => {}, 1000)'] };
  supervisor = spawn(TSX, ['scripts/supervise.ts', JSON.stringify(spec)], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  supervisor.stdout!.on('data', (d) => (out += String(d)));
  supervisor.stderr!.on('data', (d) => (out += String(d)));
  const exited = new Promise<number | null>((r) => supervisor!.once('exit', (code) => r(code)));

  const pidOf = (re: RegExp) => until(() => `${re} in the output:\n${out}`, () => (re.exec(out) ? Number(re.exec(out)![1]) : undefined));
  const apiPid = await pidOf(/api \(pid (\d+)\)/);
  const idlePid = await pidOf(/idle \(pid (\d+)\)/);

  expect(await until(() => `the API on the port from .env; output:\n${out}`, () => health(port))).toBe(200);
  expect(out).toContain('MAIL_FROM=Real Env <real@example.com>'); // the real environment wins over .env

  process.kill(apiPid, 'SIGKILL');
  await until(() => `the restart notice; output:\n${out}`, () => (/api exited \(signal SIGKILL\); restarting/.test(out) ? true : undefined));
  const newPid = await pidOf(/api started again \(pid (\d+), restart 1\)/);
  expect(newPid).not.toBe(apiPid);
  expect(await until(() => `the restarted API; output:\n${out}`, () => health(port))).toBe(200);
  expect(alive(idlePid)).toBe(true); // the other process was left running

  supervisor.kill('SIGINT');
  expect(await exited).toBe(0);
  expect(alive(newPid)).toBe(false);
  expect(alive(idlePid)).toBe(false);
});
