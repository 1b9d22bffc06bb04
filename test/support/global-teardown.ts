/**
 * jest globalTeardown: stops the Temporal dev server the global setup started
 * (none when TEMPORAL_ADDRESS was given) and removes its temp dir.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TemporalTestServer } from './global-setup';

const PID_FILE = join(resolve(__dirname, '../..'), '.data/test/temporal.pid');

export default async function globalTeardown(): Promise<void> {
  let server: TemporalTestServer | undefined = globalThis.__TEMPORAL_TEST_SERVER__;
  if (!server && existsSync(PID_FILE)) {
    try {
      server = JSON.parse(readFileSync(PID_FILE, 'utf8')) as TemporalTestServer;
    } catch {
      server = undefined;
    }
  }
  if (!server) return;
  await stop(server.pid);
  rmSync(server.dir, { recursive: true, force: true });
  rmSync(PID_FILE, { force: true });
  globalThis.__TEMPORAL_TEST_SERVER__ = undefined;
}

async function stop(pid: number): Promise<void> {
  const alive = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (!alive()) return;
  // The pid came from a file: make sure it is still our server, not a reused pid.
  try {
    if (!readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('temporal')) return;
  } catch {
    // no /proc (not Linux): trust the pid
  }
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 50 && alive(); i++) await new Promise((r) => setTimeout(r, 100));
  if (alive()) process.kill(pid, 'SIGKILL');
}
