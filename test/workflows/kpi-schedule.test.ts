/**
 * The performance archive's schedules (scripts/schedules.ts) on the harness's
 * own Temporal dev server: created on this file's task queue, the monthly one
 * triggered by hand; its periodCloseWorkflow run archives the month that
 * ended before the run started, and a second trigger changes nothing.
 *
 * Schedule ids are fixed (kpi-close-month, ...): this file creates, updates
 * and finally deletes them on the test server, never a shared one (unless
 * TEMPORAL_ADDRESS points the harness at one).
 */
import type { ScheduleHandle } from '@temporalio/client';
import { KPI_SCHEDULES, ensureKpiSchedules } from '../../scripts/schedules';
import type { PeriodKpis } from '../../activities/kpi';
import { lastEndedPeriod, periodCloseWorkflow } from '../../workflows/kpi/workflow';
import { periodOf, shiftPeriod } from '../../workflows/domain/kpi';
import { closeTestPrisma } from '../support/db';
import { startTestStack, type TestStack } from '../support/stack';

jest.setTimeout(120_000);

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
});

afterAll(async () => {
  if (stack) for (const s of KPI_SCHEDULES) await stack.client.schedule.getHandle(s.scheduleId).delete().catch(() => undefined);
  await stack?.stop();
  await closeTestPrisma();
});

/** Waits until the schedule has taken `n` actions; returns the n-th workflow's id and run. */
async function nthAction(handle: ScheduleHandle, n: number): Promise<{ workflowId: string; runId: string }> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const d = await handle.describe();
    const actions = d.info.recentActions;
    if (actions.length >= n) {
      const w = actions[n - 1].action.workflow;
      return { workflowId: w.workflowId, runId: w.firstExecutionRunId };
    }
    if (Date.now() > deadline) throw new Error(`schedule ${handle.scheduleId} took ${actions.length} actions, expected ${n}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('ensureKpiSchedules creates the three schedules, then updates them in place', async () => {
  const first = await ensureKpiSchedules(stack.client, stack.taskQueue);
  // A run before this test file's (same server) may have left them: created or updated, never an error.
  expect(first.map((s) => s.scheduleId)).toEqual(['kpi-close-month', 'kpi-close-quarter', 'kpi-close-year']);
  const again = await ensureKpiSchedules(stack.client, stack.taskQueue);
  expect(again.map((s) => s.result)).toEqual(['updated', 'updated', 'updated']);

  for (const s of KPI_SCHEDULES) {
    const d = await stack.client.schedule.getHandle(s.scheduleId).describe();
    expect(d.action).toMatchObject({ type: 'startWorkflow', workflowType: 'periodCloseWorkflow', taskQueue: stack.taskQueue });
    expect(d.action.args).toEqual([{ kind: s.kind }]);
    expect(d.policies.overlap).toBe('SKIP');
    // The next run is just after a period boundary (UTC).
    const next = d.info.nextActionTimes[0];
    expect(next.getUTCDate()).toBe(1);
    expect(next.getUTCHours()).toBe(0);
    expect(next.getUTCMinutes()).toBe({ month: 5, quarter: 10, year: 15 }[s.kind]);
    if (s.kind === 'quarter') expect([0, 3, 6, 9]).toContain(next.getUTCMonth());
    if (s.kind === 'year') expect(next.getUTCMonth()).toBe(0);
  }
});

test('triggering the monthly close archives the month that ended; a second trigger changes nothing', async () => {
  await ensureKpiSchedules(stack.client, stack.taskQueue);
  const handle = stack.client.schedule.getHandle('kpi-close-month');
  const before = (await handle.describe()).info.recentActions.length;

  await handle.trigger();
  const run1 = await nthAction(handle, before + 1);
  expect(run1.workflowId).toMatch(/^kpi-close-month/);
  const wf1 = stack.client.workflow.getHandle(run1.workflowId, run1.runId);
  const result1 = (await wf1.result()) as PeriodKpis;
  const started = (await wf1.describe()).startTime;
  const period = lastEndedPeriod('month', started.toISOString());
  expect(result1).toMatchObject({ period, kind: 'month' });
  expect(Date.parse(result1.end)).toBeLessThanOrEqual(started.getTime());
  expect(Date.parse(result1.end)).toBeGreaterThan(started.getTime() - 32 * 86_400_000);

  const row1 = await stack.prisma.kpiArchive.findUniqueOrThrow({ where: { period } });
  expect(row1.kind).toBe('month');
  expect(row1.computedAt.toISOString()).toBe(result1.computedAt);
  expect(await stack.prisma.auditEntry.count({ where: { key: `kpi:${period}` } })).toBe(1);

  await handle.trigger();
  const run2 = await nthAction(handle, before + 2);
  expect(run2.runId).not.toBe(run1.runId);
  const result2 = (await stack.client.workflow.getHandle(run2.workflowId, run2.runId).result()) as PeriodKpis;
  expect(result2).toEqual(result1);

  const rows = await stack.prisma.kpiArchive.findMany({ where: { period } });
  expect(rows).toHaveLength(1);
  expect(rows[0].computedAt).toEqual(row1.computedAt);
  expect(rows[0].data).toEqual(row1.data);
  expect(await stack.prisma.auditEntry.count({ where: { key: `kpi:${period}` } })).toBe(1);
});

test('a run caught up late (backfill) closes the period it was scheduled for, not the latest one', async () => {
  await ensureKpiSchedules(stack.client, stack.taskQueue);
  const handle = stack.client.schedule.getHandle('kpi-close-month');
  const before = (await handle.describe()).info.recentActions.length;
  // The action due at 00:05 on the 1st of last month: it closes the month before last.
  const lastMonth = shiftPeriod(periodOf('month', new Date().toISOString()), -1);
  const from = new Date(lastMonth.start);
  await handle.backfill([{ start: from, end: new Date(from.getTime() + 10 * 60_000) }]);
  const run = await nthAction(handle, before + 1);
  const result = (await stack.client.workflow.getHandle(run.workflowId, run.runId).result()) as PeriodKpis;
  expect(result.period).toBe(shiftPeriod(lastMonth, -1).key);
  expect(await stack.prisma.kpiArchive.count({ where: { period: result.period } })).toBe(1);
});

test('a close for a named period of another kind is refused', async () => {
  const h = await stack.client.workflow.start(periodCloseWorkflow, {
    taskQueue: stack.taskQueue,
    workflowId: `kpi-close-test-${Date.now()}`,
    args: [{ kind: 'month', period: '2019-Q1' }],
  });
  await expect(h.result()).rejects.toMatchObject({ cause: { message: expect.stringMatching(/2019-Q1 is a quarter, not a month/) } });
});
