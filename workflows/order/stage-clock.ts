/**
 * The time limit every stage has (SPEC section 3): wait for the stage's work
 * to be done; when the limit runs out remind the assignee, then alert the
 * manager role, then report a timeout so the caller takes the stage's
 * timeout action. Each step is a durable timer whose summary names it in the
 * Temporal UI ("sales_review: reminded at ...").
 *
 * Fire times are absolute (stage entry + held time + the steps' delays), and
 * steps already raised are skipped, so a clock picks up exactly where it was
 * after continue-as-new, and time on hold does not count.
 */
import { condition } from '@temporalio/workflow';
import { parseDuration } from '../domain/duration';
import type { Role, StagePolicy } from '../domain/policy';

export type EscalationLevel = 'none' | 'warned' | 'reminded' | 'escalated' | 'timed_out';
const RANK: Record<EscalationLevel, number> = { none: 0, warned: 1, reminded: 2, escalated: 3, timed_out: 4 };

export interface ClockStep {
  level: Exclude<EscalationLevel, 'none'>;
  role: Role;
  /** Milliseconds after the previous step (the first: after stage entry). */
  after: number;
}

/**
 * The steps of a stage's clock: an early warning ahead of the limit (when the
 * limit is longer than the warning), the reminder at the limit, the
 * escalation, the timeout. `limitMs` overrides the policy limit (e.g. planned
 * finish + grace).
 */
export function clockSteps(
  p: StagePolicy,
  opts: { limitMs?: number; warningMs: number; roles?: { assignee: Role; manager: Role } },
): ClockStep[] {
  const assignee = opts.roles?.assignee ?? p.assignee;
  const manager = opts.roles?.manager ?? p.manager;
  const limit = Math.max(0, opts.limitMs ?? parseDuration(p.limit));
  const warn: ClockStep[] =
    opts.warningMs > 0 && limit > opts.warningMs ? [{ level: 'warned', role: assignee, after: limit - opts.warningMs }] : [];
  return [
    ...warn,
    { level: 'reminded', role: assignee, after: warn.length ? opts.warningMs : limit },
    { level: 'escalated', role: manager, after: parseDuration(p.escalateAfter) },
    { level: 'timed_out', role: manager, after: parseDuration(p.actionAfter) },
  ];
}

/** Thrown out of a wait when the order must stop what it is doing (cancellation, re-planning, continue-as-new). */
export class Interrupted extends Error {
  constructor() {
    super('interrupted');
    this.name = 'Interrupted';
  }
}

export interface Clock {
  stage: string;
  steps: ClockStep[];
  /** Epoch ms the stage (or the department's part of it) started. */
  startedAt: number;
  /** Held time so far in this stage: the clock stood still. */
  heldMs: () => number;
  /** The level already raised (so a resumed clock does not raise it twice). */
  raised: () => EscalationLevel;
  done: () => boolean;
  held: () => boolean;
  interrupted: () => boolean;
  onStep: (step: ClockStep) => Promise<void>;
  /**
   * How to wait (default: `condition`). The main flow passes its own, which
   * lets go of the command lock while it waits.
   */
  wait?: (fn: () => boolean, timeoutMs?: number, summary?: string) => Promise<boolean>;
}

/** `condition` with an optional timeout and timer summary; true when `fn` held. */
export const plainWait = async (fn: () => boolean, timeoutMs?: number, summary?: string): Promise<boolean> => {
  if (timeoutMs === undefined) {
    await condition(fn);
    return true;
  }
  return summary ? condition(fn, timeoutMs, { summary }) : condition(fn, timeoutMs);
};

/**
 * Waits until `done()` holds, raising each step whose time comes first.
 * Returns true when the work was done, false when every step ran out.
 * Throws Interrupted when `interrupted()` turns true first.
 */
export async function waitWithClock(c: Clock): Promise<boolean> {
  const wait = c.wait ?? plainWait;
  // The next step to raise: the first one beyond what was raised already (a resumed clock raises nothing twice).
  let next = c.steps.findIndex((s) => RANK[s.level] > RANK[c.raised()]);
  if (next < 0) next = c.steps.length;
  while (next < c.steps.length) {
    const fireAt = c.startedAt + c.heldMs() + c.steps.slice(0, next + 1).reduce((sum, s) => sum + s.after, 0);
    const delay = fireAt - Date.now(); // workflow time: the sandbox makes Date deterministic
    if (delay > 0) {
      const step = c.steps[next];
      const woke = await wait(
        () => c.done() || c.held() || c.interrupted(),
        delay,
        `${c.stage}: ${step.level} (${step.role}) at ${new Date(fireAt).toISOString()}`,
      );
      if (woke) {
        if (c.done()) return true;
        if (c.interrupted()) throw new Interrupted();
        // On hold: the clock stands still until release; the release adds to heldMs.
        await wait(() => !c.held() || c.done() || c.interrupted());
        continue;
      }
    }
    await c.onStep(c.steps[next]);
    next += 1;
  }
  return c.done();
}

/** Waits (with no clock) until done, unless interrupted first. */
export async function waitUntil(
  done: () => boolean,
  interrupted: () => boolean,
  wait: (fn: () => boolean) => Promise<unknown> = plainWait,
): Promise<void> {
  await wait(() => done() || interrupted());
  if (!done()) throw new Interrupted();
}
