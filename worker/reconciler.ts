/**
 * The reconciler: the order database and Temporal agree (SPEC 3a). An order
 * row is saved before its workflow is started; when the start never happens
 * (Temporal unreachable at intake and the client never repeats the request,
 * a crash between commit and start), the order would wait in nobody's work
 * for ever. The reconciler finds such orders and starts their workflows,
 * through the same start as intake (activities/order-workflow.ts: same id,
 * same input, ownership checked), so a start racing intake is harmless.
 *
 * Sweeps, over open orders only (closed, rejected and cancelled are done):
 * - quick (every RECONCILE_INTERVAL): orders not yet known to have a
 *   workflow (`workflow_started_at` unset; an index finds them), so 10,000
 *   open orders whose workflows are known cost one index probe, not 10,000
 *   describes;
 * - full (at worker start, then every FULL_CHECK_EVERY sweeps, and
 *   `npm run reconcile`): every open order, its workflow described.
 *
 * For each order:
 * - no recorded stage transition (its workflow never ran a step): start it,
 *   or confirm the existing workflow is this order's;
 * - recorded progress but no workflow (Temporal lost its history): NOT
 *   restarted from the beginning (it would repeat reviews and effects);
 *   admin is alerted;
 * - the workflow id held by another order's workflow: never adopted, left
 *   alone; logged as an error and alerted to admin;
 * - the workflow has ended while the order is open (failed, terminated):
 *   alerted to admin.
 * Alerts are rows in `alerts` (role admin), one per order and kind, with an
 * audit entry; they show on the order (GET /orders/:orderNo).
 *
 * One sweep at a time across all workers: a PostgreSQL advisory lock
 * (session-level, on its own connection, so a killed worker releases it). The
 * workflow id already prevents a double start; the lock avoids double work.
 */
import { Client as PgClient } from 'pg';
import type { Client } from '@temporalio/client';
import {
  WorkflowOwnerConflict,
  loadOrderForStart,
  markWorkflowStarted,
  raiseWorkflowAlert,
  startOrderWorkflow,
  workflowOwner,
  type StartDeps,
  type WorkflowAlertKind,
} from '../activities/order-workflow';
import { sqlOf } from '../activities/infra/db';
import { TERMINAL_STAGES } from '../workflows/order/contract';

/** With the default 1-minute interval: a full check every hour. */
export const FULL_CHECK_EVERY = 60;
const BATCH = 200;
/** Orders checked at once: bounds the load on Temporal during a full check. */
const CONCURRENCY = 8;
const LOCK_KEY = 'reconcile:orders';

export interface ReconcileLog {
  info(message: string): void;
  error(message: string): void;
}

export const consoleLog: ReconcileLog = {
  info: (m) => console.log(`[reconciler] ${m}`),
  error: (m) => console.error(`[reconciler] ${m}`),
};

export interface ReconcilerDeps extends StartDeps {
  client: Client;
  /** For the advisory lock's own connection. */
  databaseUrl: string;
  log?: ReconcileLog;
}

export interface ReconcileResult {
  /** Another process held the lock: this sweep did nothing. */
  skipped: boolean;
  full: boolean;
  checked: number;
  /** Workflows this sweep started. */
  started: number;
  /** Orders whose existing workflow was confirmed as theirs. */
  verified: number;
  conflicts: number;
  missing: number;
  closed: number;
  /** Orders that could not be checked now (Temporal unreachable, ...): tried again next sweep. */
  failed: number;
}

type Outcome = 'started' | 'verified' | 'conflicts' | 'missing' | 'closed' | 'failed';

interface Candidate {
  id: string;
  orderNo: string;
  workflowId: string;
  stage: string;
  createdAt: Date;
  /** A stage transition is recorded: the order's workflow ran at least one step. */
  progressed: boolean;
}

export interface SweepOptions {
  /** Every open order (true) or only those not known to have a workflow. */
  full: boolean;
  /** Only these orders (`npm run reconcile -- SO-2026-000123`; tests keep to their own orders). */
  orderNos?: string[];
  shouldStop?: () => boolean;
}

export async function reconcileOrders(deps: ReconcilerDeps, opts: SweepOptions): Promise<ReconcileResult> {
  const result: ReconcileResult = { skipped: false, full: opts.full, checked: 0, started: 0, verified: 0, conflicts: 0, missing: 0, closed: 0, failed: 0 };
  const lock = new PgClient({ connectionString: deps.databaseUrl });
  lock.on('error', () => undefined);
  await lock.connect();
  try {
    const { rows } = await lock.query<{ locked: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS locked', [LOCK_KEY]);
    if (!rows[0].locked) return { ...result, skipped: true };
    try {
      let after: { createdAt: Date; id: string } | undefined;
      while (!opts.shouldStop?.()) {
        const batch = await candidates(deps, opts, after);
        if (batch.length === 0) break;
        after = batch[batch.length - 1];
        const outcomes = await mapLimited(batch, CONCURRENCY, (c) => reconcileOne(deps, c));
        for (const o of outcomes) result[o] += 1;
        result.checked += batch.length;
        if (batch.length < BATCH) break;
      }
    } finally {
      await lock.query('SELECT pg_advisory_unlock(hashtext($1))', [LOCK_KEY]);
    }
  } finally {
    await lock.end().catch(() => undefined);
  }
  return result;
}

/** Open orders after `after` in (created_at, id) order: all of them (full) or those not known to have a workflow. */
function candidates(deps: ReconcilerDeps, opts: SweepOptions, after?: { createdAt: Date; id: string }): Promise<Candidate[]> {
  return sqlOf(deps.prisma).query<Candidate>(
    `SELECT o.id, o.order_no, o.workflow_id, o.stage, o.created_at,
            EXISTS (SELECT 1 FROM stage_transitions t WHERE t.order_id = o.id) AS progressed
       FROM orders o
      WHERE o.stage <> ALL($1::text[])
        AND ($2::boolean OR o.workflow_started_at IS NULL)
        AND ($3::text IS NULL OR (o.created_at, o.id) > ($3::timestamp(3), $4::text))
        AND ($5::text[] IS NULL OR o.order_no = ANY($5::text[]))
      ORDER BY o.created_at, o.id
      LIMIT ${BATCH}`,
    [TERMINAL_STAGES, opts.full, after ? after.createdAt.toISOString() : null, after?.id ?? null, opts.orderNos ?? null],
  );
}

async function reconcileOne(deps: ReconcilerDeps, c: Candidate): Promise<Outcome> {
  const log = deps.log ?? consoleLog;
  try {
    let status: string;
    if (!c.progressed) {
      const order = await loadOrderForStart(deps.prisma, { id: c.id });
      if (!order) return 'verified'; // removed meanwhile: nothing to reconcile
      const outcome = await startOrderWorkflow(deps, order);
      if (outcome.started) {
        log.info(`started the workflow of order ${c.orderNo} (${c.workflowId}), which had none`);
        return 'started';
      }
      status = outcome.status;
    } else {
      const owner = await workflowOwner(deps.client, c.workflowId);
      if (!owner) {
        await alert(deps, c, 'workflow_missing',
          `order ${c.orderNo} is in stage ${c.stage} with recorded progress, but its workflow ${c.workflowId} does not exist in Temporal ` +
            '(its history was lost): it is not restarted from the beginning; restore Temporal or resolve the order by hand');
        return 'missing';
      }
      if (owner.orderId !== c.id) throw new WorkflowOwnerConflict(c.id, c.orderNo, c.workflowId, owner.orderId);
      await markWorkflowStarted(deps.prisma, c.id);
      status = owner.status;
    }
    if (status !== 'RUNNING' && !(await closedNow(deps, c.id))) {
      await alert(deps, c, 'workflow_closed',
        `order ${c.orderNo} is open (stage ${c.stage}) but its workflow ${c.workflowId} has ended (${status}): ` +
          'commands cannot reach it; resolve the order by hand');
      return 'closed';
    }
    return 'verified';
  } catch (err) {
    if (err instanceof WorkflowOwnerConflict) {
      await alert(deps, c, 'workflow_conflict', `${err.message}; the existing workflow is left untouched`);
      return 'conflicts';
    }
    log.error(`order ${c.orderNo}: could not check its workflow now (${err instanceof Error ? err.message : String(err)}); next sweep retries`);
    return 'failed';
  }
}

/** The order has reached a terminal stage since it was read (its workflow closed it). */
async function closedNow(deps: ReconcilerDeps, orderId: string): Promise<boolean> {
  const [row] = await sqlOf(deps.prisma).query<{ stage: string }>(`SELECT stage FROM orders WHERE id = $1`, [orderId]);
  return !row || TERMINAL_STAGES.includes(row.stage as never);
}

/** Logged as an error each time it is found; alerted once. */
async function alert(deps: ReconcilerDeps, c: Candidate, kind: WorkflowAlertKind, message: string): Promise<void> {
  (deps.log ?? consoleLog).error(`${kind}: ${message}`);
  await raiseWorkflowAlert(deps.prisma, { orderId: c.id, orderNo: c.orderNo, kind, message });
}

async function mapLimited<T, R>(items: T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return out;
}

export interface RunningReconciler {
  /** Resolves when the sweep under way (if any) has ended; no new sweep starts. */
  stop(): Promise<void>;
}

/** A full sweep now, then a quick one every `intervalMs` (a full one every FULL_CHECK_EVERY). */
export function startReconciler(
  deps: ReconcilerDeps,
  opts: { intervalMs: number; fullEvery?: number; orderNos?: string[] },
): RunningReconciler {
  const log = deps.log ?? consoleLog;
  const fullEvery = opts.fullEvery ?? FULL_CHECK_EVERY;
  let stopped = false;
  let sweeps = 0;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> = Promise.resolve();

  const sweep = async () => {
    const full = sweeps++ % fullEvery === 0;
    try {
      const r = await reconcileOrders(deps, { full, orderNos: opts.orderNos, shouldStop: () => stopped });
      if (r.skipped) return;
      if (full || r.started || r.conflicts || r.missing || r.closed || r.failed)
        log.info(
          `${full ? 'full' : 'quick'} sweep: ${r.checked} open orders checked, ${r.started} started, ${r.verified} confirmed, ` +
            `${r.conflicts} conflicts, ${r.missing} missing, ${r.closed} closed early, ${r.failed} not checkable now`,
        );
    } catch (err) {
      log.error(`sweep failed (${err instanceof Error ? err.message : String(err)}); next in ${opts.intervalMs} ms`);
    }
  };
  const schedule = () => {
    if (stopped) return;
    current = sweep().finally(() => {
      if (!stopped) timer = setTimeout(schedule, opts.intervalMs);
    });
  };
  schedule();

  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await current;
    },
  };
}
