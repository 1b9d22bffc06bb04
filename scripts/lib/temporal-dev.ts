/**
 * The Temporal dev server as the test harness and the bench start it: the CLI
 * built into .tools/bin (scripts/temporal.sh builds it when missing) and the
 * same command line — free loopback ports, a SQLite file with the WAL pragmas
 * the SDK's own CI uses, eager activity execution, and the contract's search
 * attributes.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');
export const TEMPORAL_BIN = join(ROOT, '.tools/bin/temporal');

/** The contract's search attributes (workflows/order/contract.ts SA), as the CLI takes them. */
export const SEARCH_ATTRIBUTES = ['OrderNo=Keyword', 'OrderStage=Keyword', 'CustomerId=Keyword', 'RiskLevel=Keyword', 'OrderAmount=Double'];

/** Builds the CLI when it is missing (minutes on a cold Go cache; scripts/temporal.sh shows progress). */
export function ensureTemporalCli(log: (line: string) => void): void {
  if (existsSync(TEMPORAL_BIN)) return;
  log('the Temporal CLI is missing: building it (scripts/temporal.sh ensure)');
  const r = spawnSync('bash', [join(ROOT, 'scripts/temporal.sh'), 'ensure'], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('could not build the Temporal CLI (scripts/temporal.sh ensure)');
}

export function devServerArgs(a: {
  dir: string;
  ports: [port: number, uiPort: number, httpPort: number, metricsPort: number];
  logLevel: 'warn' | 'error';
}): string[] {
  const [port, uiPort, httpPort, metricsPort] = a.ports;
  return [
    'server', 'start-dev',
    '--db-filename', join(a.dir, 'temporal.db'),
    '--ip', '127.0.0.1',
    '--port', String(port),
    '--ui-port', String(uiPort),
    '--http-port', String(httpPort),
    '--metrics-port', String(metricsPort),
    '--sqlite-pragma', 'journal_mode=WAL',
    '--sqlite-pragma', 'synchronous=OFF',
    '--log-level', a.logLevel,
    // As scripts/temporal.sh: activities go back eagerly in the workflow task's answer.
    '--dynamic-config-value', 'system.enableActivityEagerExecution=true',
    ...SEARCH_ATTRIBUTES.flatMap((sa) => ['--search-attribute', sa]),
  ];
}
