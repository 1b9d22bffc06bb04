/**
 * The time limit every stage has (SPEC section 3): wait for the stage's work
 * to be done; when the limit runs out remind the assignee, then alert the
 * manager role, then hand back to the caller, who takes the stage's timeout
 * action. Each step is a durable timer named in the Temporal UI, so ops can
 * read "sales_review: limit 1d" in the history.
 */
import { condition } from '@temporalio/workflow';
import { parseDuration } from '../domain/duration';
import type { StagePolicy } from '../domain/policy';
import type { Role } from '../domain/policy';

export type EscalationLevel = 'reminded' | 'escalated' | 'timed_out';

export interface ClockStep {
  level: EscalationLevel;
  role: Role;
  /** Milliseconds to wait before this step fires. */
  after: number;
}

/** The three steps of a stage's clock; `limitMs` overrides the policy limit (e.g. planned finish + grace). */
export function clockSteps(p: StagePolicy, limitMs?: number): ClockStep[] {
  return [
    { level: 'reminded', role: p.assignee, after: Math.max(0, limitMs ?? parseDuration(p.limit)) },
    { level: 'escalated', role: p.manager, after: parseDuration(p.escalateAfter) },
    { level: 'timed_out', role: p.manager, after: parseDuration(p.actionAfter) },
  ];
}

/**
 * Waits until `done()` holds, raising each clock step that runs out first.
 * Returns true when the work was done, false when every step ran out
 * (the caller then applies the timeout action). `held()` pauses the clock:
 * while it holds, no step fires and the time is not counted.
 */
export async function waitWithClock(opts: {
  stage: string;
  steps: ClockStep[];
  done: () => boolean;
  held: () => boolean;
  onStep: (step: ClockStep) => Promise<void>;
}): Promise<boolean> {
  for (const step of opts.steps) {
    let remaining = step.after;
    for (;;) {
      const started = Date.now(); // workflow time: the sandbox makes Date deterministic
      const woke = await condition(() => opts.done() || opts.held(), remaining, {
        summary: `${opts.stage}: ${step.level} after ${formatMs(remaining)}`,
      });
      if (!woke) break; // this step's time ran out
      if (opts.done()) return true;
      // On hold: stop the clock until released, then go on with the time that was left.
      remaining = Math.max(0, remaining - (Date.now() - started));
      await condition(() => !opts.held() || opts.done());
      if (opts.done()) return true;
    }
    await opts.onStep(step);
  }
  return opts.done();
}

function formatMs(ms: number): string {
  const units: [number, string][] = [
    [86_400_000, 'd'],
    [3_600_000, 'h'],
    [60_000, 'm'],
    [1000, 's'],
  ];
  for (const [size, unit] of units) if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}
