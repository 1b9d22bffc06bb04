/**
 * Period close (SPEC 7, performance archive): computes and stores a closed
 * period's KPIs once. A Temporal Schedule starts it after each month,
 * quarter and year (scripts/schedules.ts); running it again for the same
 * period returns the archived figures unchanged (archiveKpis is idempotent).
 *
 * Deterministic: the default period comes from the workflow's start time
 * (workflowInfo), never from the clock or I/O.
 */
import { ApplicationFailure, proxyActivities, workflowInfo } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { createActivities } from '../../activities';
import type { PeriodKpis } from '../../activities/kpi';
import { PERIOD_KINDS, parsePeriod, periodOf, shiftPeriod, type PeriodKind } from '../domain/kpi';
import { FAILURE } from '../order/contract';

type Activities = ReturnType<typeof createActivities>;

const { archiveKpis } = proxyActivities<Activities>({
  // 100,000 orders take seconds; leave room for a busy database.
  startToCloseTimeout: '5m',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '5m', nonRetryableErrorTypes: [FAILURE.badInput, FAILURE.notFound] },
});

export interface PeriodCloseInput {
  kind: PeriodKind;
  /** "2026-11", "2026-Q4", "2026"; default: the period of `kind` that ended most recently before the start. */
  period?: string;
}

/** Set by Temporal on a workflow a schedule started: the action's nominal time. */
const SCHEDULED_START = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

/** The period of `kind` that ended most recently at or before `isoTime`. */
export function lastEndedPeriod(kind: PeriodKind, isoTime: string): string {
  return shiftPeriod(periodOf(kind, isoTime), -1).key;
}

export async function periodCloseWorkflow(input: PeriodCloseInput): Promise<PeriodKpis> {
  if (!input || !PERIOD_KINDS.includes(input.kind))
    throw ApplicationFailure.create({ message: 'kind must be month, quarter or year', type: FAILURE.badInput, nonRetryable: true });
  let period: string;
  if (input.period) {
    let p;
    try {
      p = parsePeriod(input.period);
    } catch (err) {
      throw ApplicationFailure.create({ message: (err as Error).message, type: FAILURE.badInput, nonRetryable: true });
    }
    if (p.kind !== input.kind)
      throw ApplicationFailure.create({ message: `period ${p.key} is a ${p.kind}, not a ${input.kind}`, type: FAILURE.badInput, nonRetryable: true });
    period = p.key;
  } else {
    // A scheduled run starts just after the boundary: the period that ended is the one before its
    // scheduled time (so a run caught up late still closes the period it was scheduled for), else
    // before the start (startTime, not runStartTime: the same across retries of the workflow).
    const info = workflowInfo();
    const scheduled = info.typedSearchAttributes.get(SCHEDULED_START);
    period = lastEndedPeriod(input.kind, (scheduled ?? info.startTime).toISOString());
  }
  return archiveKpis({ period });
}
