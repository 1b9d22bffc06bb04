/**
 * jest globalSetup: the real servers the tests run against.
 *
 * - Temporal: unless TEMPORAL_ADDRESS is set, a dev server of the CLI built
 *   into .tools/bin (scripts/temporal.sh ensure) on free ports, with a fresh
 *   SQLite file in a temp dir and the contract's search attributes.
 * - PostgreSQL: database `salesorder_test` on the server of DATABASE_URL (or
 *   TEST_DATABASE_URL as given), dropped and created, migrated, seeded.
 * - The workflows bundled once to .data/test/workflow-bundle.js.
 *
 * TEMPORAL_ADDRESS, DATABASE_URL and WORKFLOW_BUNDLE are set in process.env,
 * which the test workers inherit. global-teardown.ts stops the server.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Connection } from '@temporalio/client';
import { setupDatabase } from '../../scripts/db-setup';
import { devServerArgs, ensureTemporalCli, TEMPORAL_BIN } from '../../scripts/lib/temporal-dev';
import { TEST_PAYLOAD_CODEC_KEY } from './keys';

const ROOT = resolve(__dirname, '../..');
const TEST_DATA = join(ROOT, '.data/test');
export const PID_FILE = join(TEST_DATA, 'temporal.pid');


export interface TemporalTestServer {
  pid: number;
  address: string;
  uiUrl: string;
  dir: string;
}

declare global {
  // eslint-disable-next-line no-var
  var __TEMPORAL_TEST_SERVER__: TemporalTestServer | undefined;
}

const log = (line: string) => process.stdout.write(`[test setup] ${line}\n`);

export default async function globalSetup(): Promise<void> {
  const started = Date.now();
  process.stdout.write('\n');
  mkdirSync(TEST_DATA, { recursive: true });

  // Temporal and the database are independent: prepare them side by side.
  const [temporalAddress, databaseUrl] = await Promise.all([prepareTemporal(), prepareDatabase()]);
  const bundlePath = await bundleWorkflows();

  process.env.TEMPORAL_ADDRESS = temporalAddress;
  process.env.DATABASE_URL = databaseUrl;
  process.env.WORKFLOW_BUNDLE = bundlePath;
  // Fixed for tests so recorded histories replay (see keys.ts); never a production key.
  process.env.PAYLOAD_CODEC_KEY ||= TEST_PAYLOAD_CODEC_KEY;
  log(`ready in ${((Date.now() - started) / 1000).toFixed(1)}s: TEMPORAL_ADDRESS=${temporalAddress} DATABASE_URL=${databaseUrl}`);
}

async function prepareTemporal(): Promise<string> {
  if (process.env.TEMPORAL_ADDRESS) {
    log(`using the Temporal server at ${process.env.TEMPORAL_ADDRESS} (TEMPORAL_ADDRESS is set)`);
    await waitForTemporal(process.env.TEMPORAL_ADDRESS, 30_000);
    return process.env.TEMPORAL_ADDRESS;
  }
  ensureTemporalCli(log);
  const ports = (await freePorts(4)) as [number, number, number, number];
  const [port, uiPort] = ports;
  const dir = mkdtempSync(join(tmpdir(), 'salesorder-temporal-'));
  const address = `127.0.0.1:${port}`;
  const args = devServerArgs({ dir, ports, logLevel: 'warn' });
  const logFile = join(TEST_DATA, 'temporal.log');
  const out = openSync(logFile, 'w');
  const child = spawn(TEMPORAL_BIN, args, { stdio: ['ignore', out, out], detached: false });
  closeSync(out);
  if (!child.pid) throw new Error('could not start the Temporal dev server');
  const server: TemporalTestServer = { pid: child.pid, address, uiUrl: `http://127.0.0.1:${uiPort}`, dir };
  globalThis.__TEMPORAL_TEST_SERVER__ = server;
  writeFileSync(PID_FILE, JSON.stringify(server));
  // If jest dies without running the teardown, do not leave the server behind.
  process.once('exit', () => {
    try {
      process.kill(server.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  });
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = `exited (${signal ?? code})`));
  child.unref();

  await waitForTemporal(address, 60_000, () => exited);
  log(`Temporal dev server ${address} (pid ${child.pid}, UI ${server.uiUrl}, log .data/test/temporal.log)`);
  return address;
}

async function waitForTemporal(address: string, timeoutMs: number, failed?: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  while (Date.now() < deadline) {
    const why = failed?.();
    if (why) throw new Error(`the Temporal dev server ${why}; see .data/test/temporal.log`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 2_000 });
      try {
        await connection.workflowService.getSystemInfo({});
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      lastError = (err as Error).message;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new Error(`the Temporal server at ${address} did not answer within ${timeoutMs / 1000}s (${lastError})`);
}

async function prepareDatabase(): Promise<string> {
  let url: string;
  if (process.env.TEST_DATABASE_URL) {
    url = process.env.TEST_DATABASE_URL;
  } else {
    const u = new URL(process.env.DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/salesorder');
    u.pathname = '/salesorder_test';
    url = u.toString();
  }
  await setupDatabase({ databaseUrl: url, recreate: true, log: (line) => log(line) });
  return url;
}

async function bundleWorkflows(): Promise<string> {
  // Imported here: the bundler (webpack) is heavy and only this step needs it.
  const { bundleWorkflowCode } = await import('@temporalio/worker');
  let workflowsPath: string;
  try {
    workflowsPath = require.resolve('../../workflows/index');
  } catch {
    workflowsPath = join(ROOT, 'workflows/index.ts');
  }
  const started = Date.now();
  const { code } = await bundleWorkflowCode({
    workflowsPath,
    logger: quietLogger,
  });
  const bundlePath = join(TEST_DATA, 'workflow-bundle.js');
  writeFileSync(bundlePath, code);
  log(`workflows bundled in ${((Date.now() - started) / 1000).toFixed(1)}s to .data/test/workflow-bundle.js`);
  return bundlePath;
}

/** The bundler's logger: warnings and errors only. */
const quietLogger = {
  log: (level: string, message: string, meta?: Record<string, unknown>) => {
    if (level === 'WARN' || level === 'ERROR') process.stderr.write(`[bundler] ${level} ${message} ${meta ? JSON.stringify(meta) : ''}\n`);
  },
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string, meta?: Record<string, unknown>) => process.stderr.write(`[bundler] ${message} ${meta ? JSON.stringify(meta) : ''}\n`),
  error: (message: string, meta?: Record<string, unknown>) => process.stderr.write(`[bundler] ${message} ${meta ? JSON.stringify(meta) : ''}\n`),
};

/** Ports the OS says are free right now (held together so they differ). */
async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, () =>
      new Promise<Server>((resolvePort, reject) => {
        const s = createServer();
        s.once('error', reject);
        s.listen(0, '127.0.0.1', () => resolvePort(s));
      }),
    ),
  );
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}
