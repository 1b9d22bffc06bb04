/**
 * One chaos run (`npm run chaos`, and its short form in the jest suite):
 *
 *   1. the system as separate processes (test/chaos/system.ts) on a fresh
 *      database with the policy's clocks shrunk to seconds;
 *   2. the people (test/chaos/driver.ts) act on N orders at once while the
 *      fault plan, drawn from the seed, kills workers with SIGKILL (each
 *      started again), kills and restarts the Temporal dev server once, and
 *      takes the SMTP server away for a window;
 *   3. quiescence: no more commands, every fault healed, then wait until no
 *      workflow has work pending and the outbox is empty;
 *   4. the invariants (test/chaos/invariants.ts) and a summary.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client as Pg } from 'pg';
import { createPrisma } from '../../activities/infra/db';
import { setTokens } from '../../bench/lib/http';
import { errorText, sleep } from '../../bench/lib/util';
import { setupDatabase } from '../../scripts/db-setup';
import { TERMINAL_STAGES } from '../../workflows/order/contract';
import { CHAOS_USERS, Driver, type DriverStats } from './driver';
import { createChaosFixtures, issueChaosTokens } from './fixtures';
import { checkInvariants, type CheckResult } from './invariants';
import type { ChaosOptions } from './options';
import { CHAOS_POLICY } from './policy';
import { Rng } from './rng';
import { ChaosSystem } from './system';

export interface FaultRecord {
  kind: string;
  at: string;
  detail: string;
}

export interface ChaosResult {
  options: Omit<ChaosOptions, 'log'>;
  seconds: { setup: number; commands: number; settle: number; checks: number; total: number };
  ordersTaken: number;
  stages: Record<string, number>;
  commands: DriverStats['commands'];
  faults: FaultRecord[];
  settled: boolean;
  unsettled: string[];
  checks: CheckResult[];
  violations: number;
  dir: string;
}

interface PlannedFault {
  kind: 'worker-kill' | 'temporal-restart' | 'smtp-outage';
  /** Fires once the run is this far (the larger of the command phase's time and the share of orders finished). */
  atShare: number;
  worker?: number;
  downMs: number;
}

function planFaults(o: ChaosOptions): PlannedFault[] {
  const rng = Rng.of(o.seed, 'faults');
  const plan: PlannedFault[] = [];
  for (let k = 0; k < o.workerKills; k++) plan.push({ kind: 'worker-kill', atShare: 0.1 + rng.next() * 0.8, worker: rng.int(0, o.workers - 1), downMs: rng.int(1_000, 6_000) });
  for (let k = 0; k < o.serverRestarts; k++) plan.push({ kind: 'temporal-restart', atShare: 0.2 + rng.next() * 0.6, downMs: rng.int(2_000, 8_000) });
  if (o.smtpOutageS > 0) plan.push({ kind: 'smtp-outage', atShare: 0.1 + rng.next() * 0.6, downMs: o.smtpOutageS * 1000 });
  return plan.sort((a, b) => a.atShare - b.atShare);
}

export async function runChaos(o: ChaosOptions): Promise<ChaosResult> {
  const log = o.log;
  const t0 = Date.now();
  const runId = `${o.seed}-${randomBytes(3).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'salesorder-chaos-'));
  const policyFile = join(dir, 'policy.json');
  writeFileSync(policyFile, JSON.stringify(CHAOS_POLICY, null, 2));
  log(`run ${runId}: ${o.orders} orders, seed ${o.seed}, ${o.workers} workers, faults: ${o.workerKills} worker kills, ${o.serverRestarts} server restarts, SMTP outage ${o.smtpOutageS} s; logs in ${dir}`);

  const [bundle] = await Promise.all([
    workflowBundle(dir, log),
    setupDatabase({ databaseUrl: o.databaseUrl, recreate: true, log: (l) => log(`db: ${l}`) }),
  ]);
  const prisma = createPrisma(o.databaseUrl);
  let fixtures;
  try {
    fixtures = await createChaosFixtures(prisma, { customers: 30, stockPerProduct: Math.max(20, o.orders * 2) });
    setTokens(await issueChaosTokens(prisma, CHAOS_USERS, runId));
  } finally {
    await prisma.$disconnect();
  }

  const system = new ChaosSystem({ dir, databaseUrl: o.databaseUrl, policyFile, codecKey: randomBytes(32).toString('base64'), workers: o.workers, bundle, log });
  const pg = new Pg({ connectionString: o.databaseUrl });
  const faults: FaultRecord[] = [];
  const seconds = { setup: 0, commands: 0, settle: 0, checks: 0, total: 0 };
  let driver: Driver | undefined;
  try {
    await system.start();
    await pg.connect();
    seconds.setup = Math.round((Date.now() - t0) / 1000);

    // --- Commands and faults ------------------------------------------------
    const t1 = Date.now();
    driver = new Driver(system.apiUrl, { seed: o.seed, runId, orders: o.orders, concurrency: o.concurrency, deadline: t1 + o.commandPhaseS * 1000, fixtures, log });
    const d = driver;
    const plan = planFaults(o);
    let driving = true;
    const record = (kind: string, detail: string) => faults.push({ kind, at: `+${Math.round((Date.now() - t1) / 1000)} s`, detail });
    const fire = async (f: PlannedFault) => {
      try {
        if (f.kind === 'worker-kill') {
          record('worker kill', `worker ${f.worker} SIGKILL, restarted after ${f.downMs / 1000} s`);
          await system.killWorker(f.worker!, f.downMs);
        } else if (f.kind === 'temporal-restart') {
          record('Temporal restart', `dev server SIGKILL, started again after ${f.downMs / 1000} s on the same port and file`);
          await system.restartTemporal(f.downMs);
        } else {
          record('SMTP outage', `SMTP server closed for ${f.downMs / 1000} s`);
          await system.smtpOutage(f.downMs);
        }
      } catch (err) {
        record('fault error', `${f.kind}: ${errorText(err)}`);
      }
    };
    // Worker kills and the server restart one after the other (a worker cannot start while the server is away);
    // the SMTP outage on its own timeline, so it can overlap them.
    const due = (f: PlannedFault) => !driving || Math.max((Date.now() - t1) / (o.commandPhaseS * 1000), d.stats.finished / o.orders) >= f.atShare;
    const lane = async (items: PlannedFault[]) => {
      for (const f of items) {
        while (!due(f)) await sleep(250);
        await fire(f);
      }
    };
    const faultLanes = Promise.all([lane(plan.filter((f) => f.kind !== 'smtp-outage')), lane(plan.filter((f) => f.kind === 'smtp-outage'))]);
    const progress = setInterval(() => log(`commands: ${d.stats.started}/${o.orders} orders started, ${Object.values(d.stats.commands).reduce((a, c) => a + c.sent, 0)} commands sent`), 15_000);
    try {
      await d.run();
    } finally {
      clearInterval(progress);
      driving = false;
    }
    await faultLanes;
    seconds.commands = Math.round((Date.now() - t1) / 1000);
    log(`commands done in ${seconds.commands} s; settling`);

    // --- Quiescence -------------------------------------------------------------
    const t2 = Date.now();
    const { settled, unsettled } = await settle(system, pg, o.settleTimeoutS * 1000, log);
    seconds.settle = Math.round((Date.now() - t2) / 1000);

    // --- Invariants -------------------------------------------------------------
    const t3 = Date.now();
    const { checks, stages } = await checkInvariants({
      pg,
      temporal: system.client,
      received: system.received,
      workerKills: system.workerKills,
      pairs: d.stats.pairs,
      harnessErrors: [...d.stats.agentErrors, ...faults.filter((f) => f.kind === 'fault error').map((f) => `fault not injected: ${f.detail}`)],
      deadProcesses: system.deadProcesses(),
    });
    if (!settled) checks.unshift({ name: 'the system settles after the faults (no work pending, outbox empty)', violations: unsettled, note: `waited ${o.settleTimeoutS} s` });
    seconds.checks = Math.round((Date.now() - t3) / 1000);
    seconds.total = Math.round((Date.now() - t0) / 1000);
    const { log: _log, ...options } = o;
    return {
      options,
      seconds,
      ordersTaken: d.stats.orders.size,
      stages,
      commands: d.stats.commands,
      faults,
      settled,
      unsettled,
      checks,
      violations: checks.reduce((a, c) => a + c.violations.length, 0),
      dir,
    };
  } finally {
    driver?.close();
    await pg.end().catch(() => undefined);
    await system.stop().catch((err) => log(`stop: ${errorText(err)}`));
    if (!o.keepLogs) rmSync(dir, { recursive: true, force: true });
  }
}

/** The workflows bundled once (or the test run's bundle), so a restarted worker polls within seconds. */
async function workflowBundle(dir: string, log: (l: string) => void): Promise<string> {
  if (process.env.WORKFLOW_BUNDLE && existsSync(process.env.WORKFLOW_BUNDLE)) return process.env.WORKFLOW_BUNDLE;
  const { bundleWorkflowCode } = await import('@temporalio/worker');
  const started = Date.now();
  const quiet = { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: (m: string) => log(`bundler: ${m}`) };
  const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: quiet });
  const file = join(dir, 'workflow-bundle.js');
  writeFileSync(file, code);
  log(`workflows bundled in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return file;
}

/**
 * Waits until every running order workflow has no pending workflow task or
 * activity (beyond a first attempt just scheduled by a timer) and no outbox
 * mail is pending, twice in a row.
 */
async function settle(system: ChaosSystem, pg: Pg, timeoutMs: number, log: (l: string) => void): Promise<{ settled: boolean; unsettled: string[] }> {
  const deadline = Date.now() + timeoutMs;
  let quietRounds = 0;
  let busy: string[] = [];
  while (Date.now() < deadline) {
    busy = [];
    const open = (await pg.query<{ order_no: string; workflow_id: string }>(`SELECT order_no, workflow_id FROM orders WHERE stage <> ALL($1)`, [TERMINAL_STAGES])).rows;
    let i = 0;
    await Promise.all(Array.from({ length: 8 }, async () => {
      while (i < open.length) {
        const o = open[i++];
        try {
          const d = await system.client.workflow.getHandle(o.workflow_id).describe();
          if (d.status.name !== 'RUNNING') continue;
          const wft = d.raw.pendingWorkflowTask;
          const acts = d.raw.pendingActivities ?? [];
          const stuck = acts.filter((a) => (a.attempt ?? 1) > 1);
          if (wft && (wft.attempt ?? 1) > 1) busy.push(`${o.order_no}: workflow task attempt ${wft.attempt}`);
          else if (stuck.length) busy.push(`${o.order_no}: ${stuck.map((a) => `${a.activityType?.name} attempt ${a.attempt} (${(a.lastFailure?.message ?? '').slice(0, 100)})`).join('; ')}`);
          else if (wft || acts.length) busy.push(`${o.order_no}: busy`);
        } catch (err) {
          busy.push(`${o.order_no}: describe failed: ${errorText(err).slice(0, 80)}`);
        }
      }
    }));
    const pending = (await pg.query<{ n: number }>(`SELECT COUNT(*)::int AS n FROM email_outbox WHERE status NOT IN ('sent', 'failed')`)).rows[0].n;
    if (pending > 0) busy.push(`${pending} outbox mails pending`);
    if (busy.length === 0) {
      if (++quietRounds >= 2) {
        log('settled');
        return { settled: true, unsettled: [] };
      }
    } else {
      quietRounds = 0;
      log(`settling: ${busy.length} busy (${busy.slice(0, 3).join(' | ')})`);
    }
    await sleep(3_000);
  }
  // Timers keep waking orders (reminders, dunning, progress mails): only work retried past its first attempt is stuck.
  const stuck = busy.filter((b) => !b.endsWith(': busy'));
  return { settled: stuck.length === 0, unsettled: stuck.slice(0, 20).concat(stuck.length > 20 ? [`... ${stuck.length} in all`] : []) };
}
