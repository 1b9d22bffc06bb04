/**
 * The Temporal dev server of a bench run: reuse the one at TEMPORAL_ADDRESS
 * when it answers, else start `.tools/bin/temporal server start-dev` on free
 * loopback ports with a fresh SQLite file (WAL pragmas, as the SDK's CI does)
 * and the contract's search attributes. A started server is a child process:
 * stopped by `stop()` and killed when the bench process exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { errorText, freePorts, sleep, type Log } from './util';
import { onExit } from './procs';
import { devServerArgs, ensureTemporalCli, TEMPORAL_BIN } from '../../scripts/lib/temporal-dev';


export interface TemporalServer {
  address: string;
  /** True when this run started it (and will stop it). */
  started: boolean;
  uiUrl?: string;
  pid?: number;
  stop(): Promise<void>;
}

export async function answers(address: string, timeoutMs = 3_000): Promise<boolean> {
  try {
    const connection = await Connection.connect({ address, connectTimeout: timeoutMs });
    try {
      await connection.withDeadline(Date.now() + timeoutMs, () => connection.workflowService.getSystemInfo({}));
      return true;
    } finally {
      await connection.close();
    }
  } catch {
    return false;
  }
}

export async function startOrReuseTemporal(opts: { address?: string; log: Log }): Promise<TemporalServer> {
  const { log } = opts;
  if (opts.address) {
    if (await answers(opts.address)) {
      log(`reusing the Temporal server at ${opts.address}`);
      return { address: opts.address, started: false, stop: async () => undefined };
    }
    log(`TEMPORAL_ADDRESS=${opts.address} does not answer: starting a dev server of our own`);
  }
  ensureTemporalCli(log);
  const ports = (await freePorts(4)) as [number, number, number, number];
  const [port, uiPort] = ports;
  const dir = mkdtempSync(join(tmpdir(), 'salesorder-bench-temporal-'));
  const address = `127.0.0.1:${port}`;
  const args = devServerArgs({ dir, ports, logLevel: 'error' });
  const logFile = join(dir, 'temporal.log');
  const out = openSync(logFile, 'w');
  const child: ChildProcess = spawn(TEMPORAL_BIN, args, { stdio: ['ignore', out, out] });
  closeSync(out);
  if (!child.pid) throw new Error('could not start the Temporal dev server');
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = `exited (${signal ?? code})`));
  const unregister = onExit(() => {
    try {
      child.kill('SIGKILL');
    } catch {
      // gone
    }
  });
  const stop = async () => {
    unregister();
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      for (let i = 0; i < 50 && child.exitCode === null && child.signalCode === null; i++) await sleep(100);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 60_000;
  let lastError = '';
  for (;;) {
    if (exited) {
      await stop();
      throw new Error(`the Temporal dev server ${exited}; log was ${logFile}`);
    }
    try {
      if (await answers(address, 2_000)) break;
    } catch (err) {
      lastError = errorText(err);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the Temporal dev server did not answer within 60 s ${lastError}`);
    }
    await sleep(250);
  }
  log(`started a Temporal dev server at ${address} (pid ${child.pid}, UI http://127.0.0.1:${uiPort}, SQLite WAL in ${dir})`);
  return { address, started: true, uiUrl: `http://127.0.0.1:${uiPort}`, pid: child.pid, stop };
}
