/**
 * The performance archive's Temporal Schedules (SPEC 7): after each month,
 * quarter and year has ended, start periodCloseWorkflow, which archives the
 * period that just ended (workflows/kpi/workflow.ts). Creating them again
 * updates them in place, so this runs on every start:
 *
 *   tsx scripts/schedules.ts
 *
 * Cron times are UTC (the schedule default), like the reporting periods.
 * Overlap policy SKIP: a close still running is never started twice.
 */
import { Client, Connection, ScheduleAlreadyRunning, ScheduleOverlapPolicy, type ScheduleOptionsStartWorkflowAction } from '@temporalio/client';
import type { Workflow } from '@temporalio/common';
import { dataConverterFor } from '../activities/infra/codec';
import { loadConfig } from '../activities/infra/config';
import type { PeriodKind } from '../workflows/domain/kpi';

export interface KpiScheduleDef {
  scheduleId: string;
  kind: PeriodKind;
  cron: string;
}

export const KPI_SCHEDULES: readonly KpiScheduleDef[] = [
  { scheduleId: 'kpi-close-month', kind: 'month', cron: '5 0 1 * *' },
  { scheduleId: 'kpi-close-quarter', kind: 'quarter', cron: '10 0 1 1,4,7,10 *' },
  { scheduleId: 'kpi-close-year', kind: 'year', cron: '15 0 1 1 *' },
];

export interface EnsuredSchedule {
  scheduleId: string;
  cron: string;
  result: 'created' | 'updated';
}

const action = (def: KpiScheduleDef, taskQueue: string): ScheduleOptionsStartWorkflowAction<Workflow> => ({
  type: 'startWorkflow',
  workflowType: 'periodCloseWorkflow',
  // Temporal appends the scheduled time to this id, one workflow id per run.
  workflowId: def.scheduleId,
  taskQueue,
  args: [{ kind: def.kind }],
});

/** Creates the three KPI schedules, or brings existing ones up to date. */
export async function ensureKpiSchedules(client: Client, taskQueue: string): Promise<EnsuredSchedule[]> {
  const out: EnsuredSchedule[] = [];
  for (const def of KPI_SCHEDULES) {
    const spec = { cronExpressions: [def.cron] };
    const policies = { overlap: ScheduleOverlapPolicy.SKIP };
    try {
      await client.schedule.create({
        scheduleId: def.scheduleId,
        spec,
        action: action(def, taskQueue),
        policies,
        memo: { description: `Archives the KPIs of each ${def.kind} that ended (periodCloseWorkflow)` },
      });
      out.push({ scheduleId: def.scheduleId, cron: def.cron, result: 'created' });
    } catch (err) {
      if (!(err instanceof ScheduleAlreadyRunning)) throw err;
      await client.schedule.getHandle(def.scheduleId).update((prev) => ({
        ...prev,
        spec,
        action: action(def, taskQueue),
        policies: { ...prev.policies, ...policies },
      }));
      out.push({ scheduleId: def.scheduleId, cron: def.cron, result: 'updated' });
    }
  }
  return out;
}

async function main(): Promise<void> {
  const config = loadConfig();
  const connection = await Connection.connect({ address: config.temporalAddress });
  try {
    const client = new Client({ connection, namespace: config.temporalNamespace, dataConverter: dataConverterFor(config.payloadCodecKeys) });
    const done = await ensureKpiSchedules(client, config.temporalTaskQueue);
    for (const s of done)
      console.log(`[schedules] ${s.result} ${s.scheduleId} (cron "${s.cron}" UTC, task queue ${config.temporalTaskQueue})`);
  } finally {
    await connection.close();
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(`[schedules] ${(err as Error).message}`);
    process.exit(1);
  });
}
