/**
 * What must hold after a chaos run has settled (SPEC 3a "Every order ends"),
 * read from the real stores: Temporal (histories, descriptions, the live
 * state by query), PostgreSQL (the read model, inventory, reservations,
 * production, shipments, invoices, payments, the email outbox, decisions,
 * change requests) and the run's own SMTP server (what actually arrived).
 * Each check returns its violations (empty: it holds) and a one-line note.
 */
import type { Client } from '@temporalio/client';
import { temporal as proto } from '@temporalio/proto';
import type { Client as Pg } from 'pg';
import { errorText, sleep } from '../../bench/lib/util';
import { STAGES, TERMINAL_STAGES, getState, type OrderState } from '../../workflows/order/contract';
import type { ConflictPair } from './driver';
import type { CapturedMessage } from './system';

export interface CheckResult {
  name: string;
  violations: string[];
  note: string;
}

export interface CheckInput {
  pg: Pg;
  temporal: Client;
  received: CapturedMessage[];
  workerKills: number[];
  pairs: ConflictPair[];
  harnessErrors: string[];
  deadProcesses: string[];
}

const EventType = proto.api.enums.v1.EventType;
const isTerminal = (stage: string) => (TERMINAL_STAGES as readonly string[]).includes(stage);
/** Stages the workflow passes through on its own: no person is waiting in them. */
const AUTOMATIC_STAGES = new Set(['confirmation']);
const MAX_LISTED = 15;

function limit(list: string[]): string[] {
  return list.length > MAX_LISTED ? [...list.slice(0, MAX_LISTED), `... and ${list.length - MAX_LISTED} more`] : list;
}

async function pool<T>(items: T[], n: number, fn: (x: T) => Promise<void>): Promise<void> {
  let i = 0;
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => {
    while (i < items.length) await fn(items[i++]);
  }));
}

interface OrderRow {
  id: string;
  order_no: string;
  workflow_id: string;
  stage: string;
  on_hold: boolean;
  stage_deadline: Date | null;
}

export async function checkInvariants(input: CheckInput): Promise<{ checks: CheckResult[]; stages: Record<string, number> }> {
  const { pg, temporal } = input;
  const checks: CheckResult[] = [];
  const orders = (await pg.query<OrderRow>('SELECT id, order_no, workflow_id, stage, on_hold, stage_deadline FROM orders ORDER BY order_no')).rows;
  const stages: Record<string, number> = {};
  for (const o of orders) stages[o.stage] = (stages[o.stage] ?? 0) + 1;

  // --- Temporal: every run of every workflow, its status and its history ------
  {
    const violations: string[] = [];
    const runs: { workflowId: string; runId: string; status: string }[] = [];
    for await (const w of temporal.workflow.list({ query: '' })) runs.push({ workflowId: w.workflowId, runId: w.runId, status: w.status.name });
    let wftFailed = 0;
    let wftTimedOut = 0;
    await pool(runs, 8, async (r) => {
      if (['FAILED', 'TERMINATED', 'TIMED_OUT'].includes(r.status)) violations.push(`${r.workflowId} (run ${r.runId.slice(0, 8)}) is ${r.status}`);
      try {
        const history = await temporal.workflow.getHandle(r.workflowId, r.runId).fetchHistory();
        const failures = (history.events ?? []).filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED);
        wftTimedOut += (history.events ?? []).filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT).length;
        if (failures.length) {
          wftFailed += failures.length;
          const msg = failures[0].workflowTaskFailedEventAttributes?.failure?.message ?? '';
          violations.push(`${r.workflowId}: ${failures.length} workflow task failure(s), first: ${msg.slice(0, 160)}`);
        }
      } catch (err) {
        violations.push(`${r.workflowId}: history unreadable: ${errorText(err)}`);
      }
    });
    checks.push({
      name: 'no workflow task failure in any history; no run Failed/Terminated/TimedOut',
      violations: limit(violations.sort()),
      note: `${runs.length} runs read, ${wftFailed} WorkflowTaskFailed, ${wftTimedOut} WorkflowTaskTimedOut (worker kills), statuses ${JSON.stringify(countBy(runs.map((r) => r.status)))}`,
    });
    const orderWorkflows = new Set(orders.map((o) => o.workflow_id));
    const strays = [...new Set(runs.map((r) => r.workflowId))].filter((id) => id.startsWith('order-') && !orderWorkflows.has(id));
    checks.push({ name: 'every order workflow belongs to an order row', violations: limit(strays.map((id) => `${id}: no order row`)), note: `${strays.length} strays` });
  }

  // --- Each order: a defined stage, its workflow running or closed accordingly, the read model = the workflow ---
  {
    const stageViolations: string[] = [];
    const agree: string[] = [];
    const named: string[] = [];
    let queried = 0;
    await pool(orders, 8, async (o) => {
      if (!(STAGES as readonly string[]).includes(o.stage)) stageViolations.push(`${o.order_no}: undefined stage "${o.stage}"`);
      let status: string;
      try {
        status = (await temporal.workflow.getHandle(o.workflow_id).describe()).status.name;
      } catch (err) {
        stageViolations.push(`${o.order_no} (${o.stage}): no workflow (${errorText(err).slice(0, 80)})`);
        return;
      }
      if (isTerminal(o.stage) && status !== 'COMPLETED') stageViolations.push(`${o.order_no}: ${o.stage} in the database but its workflow is ${status}`);
      if (!isTerminal(o.stage) && status !== 'RUNNING') stageViolations.push(`${o.order_no}: ${o.stage} in the database but its workflow is ${status}`);
      if (!isTerminal(o.stage)) {
        if (AUTOMATIC_STAGES.has(o.stage)) named.push(`${o.order_no}: stuck in ${o.stage}, an automatic step`);
        else if (!o.stage_deadline && o.stage !== 'awaiting_payment' && !o.on_hold) named.push(`${o.order_no}: waits in ${o.stage} with no deadline and no hold`);
      }
      if (status !== 'RUNNING') return;
      // A timer may move the order while we look: agree within a few reads.
      let last = '';
      for (let attempt = 0; attempt < 4; attempt++) {
        try {
          const s: OrderState = await temporal.workflow.getHandle(o.workflow_id).query(getState);
          queried += 1;
          const row = (await pg.query<OrderRow>('SELECT stage, on_hold FROM orders WHERE id = $1', [o.id])).rows[0];
          if (s.stage === row.stage && !!s.hold === row.on_hold) return;
          last = `database ${row.stage}${row.on_hold ? ' (on hold)' : ''}, workflow ${s.stage}${s.hold ? ' (on hold)' : ''}`;
        } catch (err) {
          last = `query failed: ${errorText(err).slice(0, 120)}`;
        }
        await sleep(1_000);
      }
      agree.push(`${o.order_no}: ${last}`);
    });
    checks.push({ name: 'every order in a defined stage, its workflow running (open) or completed (closed, rejected, cancelled)', violations: limit(stageViolations.sort()), note: `${orders.length} orders` });
    checks.push({ name: 'the read model (orders.stage, on_hold) agrees with the workflow (getState)', violations: limit(agree.sort()), note: `${queried} queries` });
    checks.push({ name: 'every open order waits visibly: a stage with a deadline, dunning, or a hold; none stuck in an automatic step', violations: limit(named.sort()), note: '' });
  }

  // --- Inventory -----------------------------------------------------------
  {
    const rows = (
      await pg.query<{ sku: string; on_hand: number; reserved: number; held: string }>(
        `SELECT p.sku, i.on_hand, i.reserved,
                COALESCE((SELECT SUM(r.quantity) FROM reservations r WHERE r.product_id = i.product_id AND r.status = 'reserved'), 0)::text AS held
           FROM inventory i JOIN products p ON p.id = i.product_id`,
      )
    ).rows;
    const violations = rows
      .filter((r) => r.reserved !== Number(r.held) || r.reserved < 0 || r.reserved > r.on_hand)
      .map((r) => `${r.sku}: reserved ${r.reserved}, held reservations ${r.held}, on hand ${r.on_hand}`);
    checks.push({ name: 'inventory reserved = sum of held reservations, never negative, never over on-hand', violations, note: `${rows.length} products` });
  }

  // --- Nothing held for an order that ended without shipping -----------------
  {
    const q = async (sql: string) => (await pg.query<{ order_no: string; stage: string; what: string }>(sql)).rows.map((r) => `${r.order_no} (${r.stage}): ${r.what}`);
    const ended = `o.stage IN ('cancelled', 'rejected')`;
    const violations = [
      ...(await q(`SELECT o.order_no, o.stage, 'reservation ' || r.quantity || ' held' AS what FROM reservations r JOIN orders o ON o.id = r.order_id WHERE ${ended} AND r.status = 'reserved'`)),
      ...(await q(`SELECT o.order_no, o.stage, 'production order ' || p.production_no || ' ' || p.status AS what FROM production_orders p JOIN orders o ON o.id = p.order_id WHERE ${ended} AND p.status IN ('planned', 'in_progress')`)),
      ...(await q(`SELECT o.order_no, o.stage, 'shipment ' || s.tracking_no || ' ' || s.status AS what FROM shipments s JOIN orders o ON o.id = s.order_id WHERE ${ended} AND s.status IN ('booked', 'dispatched')`)),
      ...(await q(`SELECT o.order_no, o.stage, 'invoice ' || i.invoice_no || ' ' || i.status AS what FROM invoices i JOIN orders o ON o.id = i.order_id WHERE ${ended} AND i.status = 'open'`)),
      ...(await q(`SELECT o.order_no, o.stage, 'reservation ' || r.quantity || ' still held' AS what FROM reservations r JOIN orders o ON o.id = r.order_id WHERE o.stage = 'closed' AND r.status = 'reserved'`)),
      ...(await q(`SELECT o.order_no, o.stage, 'invoice ' || i.invoice_no || ' ' || i.status || ' paid ' || i.paid || ' of ' || i.amount AS what FROM invoices i JOIN orders o ON o.id = i.order_id WHERE o.stage = 'closed' AND (i.status <> 'paid' OR i.paid < i.amount)`)),
    ];
    checks.push({ name: 'nothing reserved, in production, booked or invoiced (unvoided) for a cancelled or rejected order; closed orders paid', violations: limit(violations.sort()), note: '' });
  }

  // --- Money: payments add up ------------------------------------------------
  {
    const rows = (
      await pg.query<{ invoice_no: string; paid: string; sum: string; n: number; refs: number }>(
        `SELECT i.invoice_no, i.paid::text, COALESCE(SUM(p.amount), 0)::text AS sum, COUNT(p.id)::int AS n, COUNT(DISTINCT p.reference)::int AS refs
           FROM invoices i LEFT JOIN payments p ON p.invoice_id = i.id GROUP BY i.id`,
      )
    ).rows;
    const violations = rows
      .filter((r) => Number(r.paid) !== Number(r.sum) || r.n !== r.refs)
      .map((r) => `${r.invoice_no}: paid ${r.paid}, payments sum ${r.sum} (${r.n} payments, ${r.refs} references)`);
    checks.push({ name: 'invoice paid = sum of its payments, one payment per reference', violations: limit(violations), note: `${rows.length} invoices` });
  }

  // --- Mail: everything sent, nothing lost, duplicates counted ------------------
  {
    const unsent = (await pg.query<{ key: string; status: string; attempts: number; last_error: string | null }>(`SELECT key, status, attempts, last_error FROM email_outbox WHERE status <> 'sent'`)).rows;
    const sent = (await pg.query<{ message_id: string; key: string }>(`SELECT message_id, key FROM email_outbox WHERE status = 'sent'`)).rows;
    const got = new Map<string, number[]>();
    for (const m of input.received) got.set(m.messageId, [...(got.get(m.messageId) ?? []), m.at]);
    const lost = sent.filter((r) => !got.has(r.message_id)).map((r) => `${r.key}: marked sent, never arrived`);
    const dups = [...got.entries()].filter(([, at]) => at.length > 1);
    // A duplicate is in the crash window when a worker was killed between the first delivery and the next.
    const outside = dups.filter(([, at]) => !input.workerKills.some((k) => k >= at[0] && k <= at[at.length - 1]));
    checks.push({
      name: 'every outbox mail sent and received (none pending, failed or lost)',
      violations: limit([...unsent.map((r) => `${r.key}: ${r.status} after ${r.attempts} attempts (${(r.last_error ?? '').slice(0, 80)})`), ...lost]),
      note: `${sent.length} sent, ${input.received.length} received by SMTP`,
    });
    checks.push({
      name: 'no duplicate email (same Message-ID) outside a worker-crash window',
      violations: limit(outside.map(([id, at]) => `${id} received ${at.length} times`)),
      note: `${dups.length} duplicated Message-IDs (${dups.reduce((a, [, at]) => a + at.length - 1, 0)} extra copies), ${dups.length - outside.length} of them in a crash window`,
    });
  }

  // --- Decisions agree with what happened ------------------------------------------
  {
    const violations: string[] = [];
    const decisions = (
      await pg.query<{ order_id: string; order_no: string; key: string; stage: string; department: string | null; decision: string }>(
        `SELECT d.order_id, o.order_no, d.key, d.stage, d.department, d.decision FROM review_decisions d JOIN orders o ON o.id = d.order_id ORDER BY d.decided_at`,
      )
    ).rows;
    const transitions = (await pg.query<{ order_id: string; seq: number; from_stage: string | null; to_stage: string; at: Date }>(`SELECT order_id, seq, from_stage, to_stage, at FROM stage_transitions ORDER BY order_id, seq`)).rows;
    const currentStage = new Map(orders.map((o) => [o.id, o.stage]));
    const byOrder = new Map<string, typeof transitions>();
    for (const t of transitions) byOrder.set(t.order_id, [...(byOrder.get(t.order_id) ?? []), t]);
    // Slot: the review stage's visit (the key carries the time the stage was entered), and the department.
    const slots = new Map<string, typeof decisions>();
    const changeDecisions = new Map<string, typeof decisions>();
    for (const d of decisions) {
      // A change request's reviews are not a stage visit: they are checked against the change below.
      const change = /^change:([^:]+):/.exec(d.key);
      if (change) {
        changeDecisions.set(change[1], [...(changeDecisions.get(change[1]) ?? []), d]);
        continue;
      }
      const visit = d.key.startsWith(`${d.stage}:`) ? d.key.slice(d.stage.length + 1).replace(/:[a-z_]+$/, '') : d.key;
      const slot = `${d.order_id}|${d.stage}|${visit}`;
      slots.set(slot, [...(slots.get(slot) ?? []), d]);
    }
    for (const [slot, ds] of slots) {
      const [orderId, stage, visit] = slot.split('|');
      const orderNo = ds[0].order_no;
      const perDept = countBy(ds.map((d) => d.department ?? '-'));
      for (const [dept, n] of Object.entries(perDept)) if (n > 1) violations.push(`${orderNo}: ${n} decisions for one ${stage} slot (${dept})`);
      const ts = byOrder.get(orderId) ?? [];
      const enteredAt = Date.parse(visit);
      const entry = ts.filter((t) => t.to_stage === stage && (Number.isNaN(enteredAt) || Math.abs(t.at.getTime() - enteredAt) < 1_000)).pop();
      const exit = entry ? ts.find((t) => t.seq > entry.seq && t.from_stage === stage) : undefined;
      if (!exit) {
        if (currentStage.get(orderId) !== stage) violations.push(`${orderNo}: ${stage} decision(s) ${ds.map((d) => d.decision).join(',')} but the stage visit has no recorded exit`);
        continue;
      }
      const to = exit.to_stage;
      const said = ds.map((d) => d.decision);
      const rejected = said.includes('reject');
      if (stage === 'joint_review') {
        if (rejected && !['rejected', 'cancelled'].includes(to)) violations.push(`${orderNo}: joint review had a rejection but the order went to ${to}`);
        if (!rejected && said.length === 3 && ['rejected', 'correction'].includes(to)) violations.push(`${orderNo}: every department approved the joint review but the order went to ${to}`);
      } else {
        const d = said[said.length - 1];
        const ok = d === 'approve' ? !['rejected', 'correction'].includes(to) : d === 'reject' ? to === 'rejected' : ['correction', 'cancelled'].includes(to);
        if (!ok) violations.push(`${orderNo}: ${stage} decision "${d}" recorded, but the order went to ${to}`);
      }
    }
    const changes = (await pg.query<{ order_no: string; stage: string; id: string; status: string; reviews: Record<string, { decision?: string }> }>(
      `SELECT o.order_no, o.stage, c.id, c.status, c.reviews FROM change_requests c JOIN orders o ON o.id = c.order_id`,
    )).rows;
    for (const c of changes) {
      const rows = changeDecisions.get(c.id) ?? [];
      const said = [...Object.values(c.reviews ?? {}).map((r) => r?.decision), ...rows.map((d) => d.decision)];
      if (['approved', 'applied'].includes(c.status) && said.includes('reject')) violations.push(`${c.order_no}: change ${c.id} is ${c.status} although a department rejected it`);
      if (c.status === 'under_review' && isTerminal(c.stage)) violations.push(`${c.order_no}: change ${c.id} still under review although the order is ${c.stage}`);
    }
    checks.push({ name: 'every recorded decision matches the order\'s outcome; one decision per review slot; changes closed with their order', violations: limit(violations.sort()), note: `${decisions.length} decisions in ${slots.size} review slots, ${changes.length} change requests` });
  }

  // --- Two people, one thing: at most one accepted ---------------------------------
  {
    const ok = (s: number) => s >= 200 && s < 300;
    const violations: string[] = [];
    for (const p of input.pairs) {
      const [a, b] = p.results;
      if (p.rule === 'exclusive' && ok(a.status) && ok(b.status)) violations.push(`${p.orderNo}: ${p.kind}: both accepted (${JSON.stringify(a.body).slice(0, 100)} | ${JSON.stringify(b.body).slice(0, 100)})`);
      if (p.rule === 'idempotent' && ok(a.status) && ok(b.status)) {
        const same = (x: any, y: any) => (x?.orderNo ?? x?.paymentId) === (y?.orderNo ?? y?.paymentId);
        if (!same(a.body, b.body)) violations.push(`${p.orderNo}: ${p.kind}: both accepted with different results (${JSON.stringify(a.body).slice(0, 100)} | ${JSON.stringify(b.body).slice(0, 100)})`);
      }
    }
    checks.push({ name: 'of two conflicting commands at once, at most one is accepted (or both get the same answer)', violations: limit(violations), note: `${input.pairs.length} pairs sent: ${JSON.stringify(countBy(input.pairs.map((p) => p.kind)))}` });
  }

  // A run in which nothing gets through proves nothing: some orders must have passed review.
  {
    const passed = (await pg.query<{ n: number }>(`SELECT COUNT(DISTINCT order_id)::int AS n FROM stage_transitions WHERE to_stage = 'confirmation'`)).rows[0].n;
    const violations = orders.length >= 5 && passed === 0 ? [`none of ${orders.length} orders got past review (stages: ${JSON.stringify(stages)})`] : [];
    checks.push({ name: 'the run made progress (orders got past review)', violations, note: `${passed} of ${orders.length} orders reached confirmation` });
  }

  checks.push({ name: 'no process died on its own; the harness drove every order', violations: limit([...input.deadProcesses, ...input.harnessErrors]), note: '' });
  return { checks, stages };
}

export function countBy(xs: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[x] = (out[x] ?? 0) + 1;
  return out;
}
