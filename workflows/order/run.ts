/**
 * The state of one order's run and the steps the stage functions share:
 * transition, the stage clock, reviews, joint review, production wait,
 * invoicing, change application, cancellation with compensation.
 * Everything here runs inside the workflow sandbox (deterministic, no I/O).
 */
import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  patched,
  proxyActivities,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { createActivities } from '../../activities';
import { dueDate } from '../domain/billing';
import { parseDuration } from '../domain/duration';
import { DEFAULT_POLICY, TIMED_STAGES, type PaymentTermPolicy, type Policy, type Role, type StagePolicy, type TimedStage } from '../domain/policy';
import { CommandLock } from './command-lock';
import { clockSteps, Interrupted, plainWait, waitWithClock, type ClockStep, type EscalationLevel } from './stage-clock';
import {
  FAILURE,
  JOINT_DEPARTMENTS,
  PRE_CONFIRMATION_STAGES,
  TERMINAL_STAGES,
  SA,
  type ChangeState,
  type Department,
  type ExceptionState,
  type JointDecisionState,
  type JointDepartment,
  type OrderState,
  type OrderWorkflowInput,
  type ReasonArgs,
  type ResumeSnapshot,
  type ReviewArgs,
  type Stage,
} from './contract';

export type Activities = ReturnType<typeof createActivities>;

const NON_RETRYABLE = [FAILURE.badInput, FAILURE.notFound, FAILURE.wrongStage, FAILURE.forbidden];

/**
 * Business steps. A step that still fails after about ten minutes of retries
 * (or at once, for a non-retryable error) is not retried for ever out of
 * sight: the order goes to the exception stage where a person sees it
 * (SPEC 3a).
 */
const act = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 15, nonRetryableErrorTypes: NON_RETRYABLE },
});

/**
 * Read-model writes (transitions, alerts, deadlines): they only fail while
 * the database is down, and the exception stage itself is recorded with
 * them, so they retry until it is back.
 */
const record = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', nonRetryableErrorTypes: NON_RETRYABLE },
});

/** Email goes through the outbox; SMTP can be down for a while, so retry for longer. */
const mail = proxyActivities<Activities>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '10m', nonRetryableErrorTypes: NON_RETRYABLE },
});

export const wrongStage = (message: string) => ApplicationFailure.create({ message, type: FAILURE.wrongStage, nonRetryable: true });
export const badInput = (field: string, message: string) =>
  ApplicationFailure.create({ message, type: FAILURE.badInput, nonRetryable: true, details: [field] });
export const forbidden = (message: string) => ApplicationFailure.create({ message, type: FAILURE.forbidden, nonRetryable: true });
export const notFound = (message: string) => ApplicationFailure.create({ message, type: FAILURE.notFound, nonRetryable: true });

const nowIso = () => new Date(Date.now()).toISOString();

/** A step failed for good (non-retryable, or out of attempts): an activity failure, not a bug in this code. */
export const isStepFailure = (err: unknown): err is ActivityFailure => err instanceof ActivityFailure;

/** The message a person can act on: the application failure's, not the wrapper's "Activity task failed". */
function failureMessage(err: ActivityFailure): string {
  const cause = err.cause;
  return cause?.message ? cause.message : err.message;
}

const TERMINAL = (s: Stage) => TERMINAL_STAGES.includes(s);

/** Who is reminded and who is alerted when a department's part of a review runs late. */
function departmentRoles(d: Department): { assignee: Role; manager: Role } {
  return { assignee: d, manager: d === 'finance' ? 'finance_manager' : 'sales_manager' };
}

export class OrderRun {
  readonly act = act;
  readonly mail = mail;
  readonly input: OrderWorkflowInput;
  readonly policy: Policy;
  readonly orderId: string;
  readonly orderNo: string;
  readonly state: OrderState;
  private seq = 0;

  // Facts learned from messages, carried over by continue-as-new (see snapshot()).
  pendingDecision?: { stage: Stage; args: ReviewArgs };
  corrected = false;
  dispatchedAt?: string;
  deliveredAt?: string;
  paidInFull = false;
  carrierName?: string;
  cancelRequest?: ReasonArgs;
  /** A change after confirmation left something to make (stock preparation) or to pay (awaiting prepayment). */
  replanTo?: Stage;
  /** Kept for snapshots of older runs, which carried a boolean. */
  replanRequested = false;
  /** Set by resolveException "retry": the exception stage hands the order back to the failed stage. */
  retryRequested = false;
  /** The one command path: held by the main flow from its start, except while it waits (command-lock.ts). */
  readonly lock = new CommandLock(true);
  /** Bumped when the production plan changes, so the production wait recomputes its limit. */
  planVersion = 0;
  /** Payments recorded, by reference: a retried request gets the first answer again. */
  paymentRefs: Record<string, { amount: string; paymentId: string; outstanding: string; paidInFull: boolean }> = {};
  /**
   * Commands accepted but not yet applied (waiting for the command lock),
   * claimed synchronously by their handler so that a second command for the
   * same slot is refused by its validator at once (409), not queued.
   */
  readonly claims = new Set<string>();
  /** Side-loop work in flight; no continue-as-new in the middle of it. */
  busy = 0;
  /** False while a stage change is being written to the read model. */
  settled = true;

  constructor(input: OrderWorkflowInput) {
    this.input = input;
    this.policy = input.policy;
    this.orderId = input.orderId;
    this.orderNo = input.orderNo;
    if (input.resume) {
      this.state = input.resume.state;
      this.state.run += 1;
      this.seq = input.resume.seq;
      Object.assign(this, input.resume.facts);
      if (this.replanRequested) this.replanTo ??= 'stock_preparation';
      this.replanRequested = false;
    } else {
      this.state = {
        orderNo: input.orderNo,
        stage: 'sales_review',
        stageEnteredAt: nowIso(),
        heldMs: 0,
        totalAmount: input.totalAmount,
        paymentTerms: input.paymentTerms,
        riskLevel: 'low',
        jointReviewReasons: [],
        changes: [],
        alerts: [],
        progressUpdatesSent: 0,
        escalation: 'none',
        decisions: [],
        shortfallLines: [],
        production: [],
        remindersSent: 0,
        run: 1,
      };
    }
  }

  snapshot(): ResumeSnapshot {
    const facts = {
      pendingDecision: this.pendingDecision,
      corrected: this.corrected,
      dispatchedAt: this.dispatchedAt,
      deliveredAt: this.deliveredAt,
      paidInFull: this.paidInFull,
      carrierName: this.carrierName,
      replanTo: this.replanTo,
      retryRequested: this.retryRequested,
      paymentRefs: this.paymentRefs,
    };
    return { state: this.state, seq: this.seq, facts };
  }

  warningMs(): number {
    return parseDuration(this.policy.earlyWarning);
  }

  term(): PaymentTermPolicy {
    return this.policy.paymentTerms[this.state.paymentTerms];
  }

  /** Long history: hand over to a fresh run at the next quiet moment. */
  continueAsNewDue(): boolean {
    const info = workflowInfo();
    const long = info.continueAsNewSuggested || info.historyLength >= this.policy.maxHistoryEvents;
    return long && this.busy === 0 && allHandlersFinished() && !this.pendingDecision;
  }

  /** An open exception the order has not moved to yet (a side loop's step failed). */
  exceptionPending(): boolean {
    return this.state.exception !== undefined && this.state.stage !== 'exception';
  }

  interrupted(): boolean {
    // A cancellation whose compensation failed waits in the exception stage for "retry".
    const cancelling = this.cancelRequest !== undefined && this.state.exception === undefined;
    return cancelling || this.replanTo !== undefined || this.exceptionPending() || this.continueAsNewDue();
  }

  /**
   * The main flow's wait: it lets go of the command lock while it waits, so
   * queued commands run, and takes it back before it acts on what it saw.
   */
  async wait(fn: () => boolean, timeoutMs?: number, summary?: string): Promise<boolean> {
    this.lock.release();
    try {
      return await plainWait(fn, timeoutMs, summary);
    } finally {
      if (this.lock.enabled) await this.lock.acquire();
    }
  }

  /**
   * One command (an update handler's work): `claim` is taken at once (the
   * validator of a second command for it refuses), then under the command
   * lock `check` runs again against the state as the previous command left
   * it (it throws WrongStage etc. when the command is no longer allowed, and
   * nothing changes), then `apply`.
   */
  async command<T>(claim: string, check: () => void, apply: () => Promise<T>): Promise<T> {
    this.claims.add(claim);
    try {
      // Lock off (replay of an order from before it): straight through, as those handlers ran.
      if (!this.lock.enabled) return await apply();
      return await this.lock.run(async () => {
        check();
        return apply();
      });
    } finally {
      this.claims.delete(claim);
    }
  }

  /** A side loop's step: under the command lock, so it never interleaves with a command or the main flow. */
  step<T>(fn: () => Promise<T>): Promise<T> {
    return this.busyDo(() => this.lock.run(fn));
  }

  /** An order on hold makes no progress until it is released. */
  async gate(): Promise<void> {
    await this.wait(() => !this.state.hold || this.interrupted());
    if (this.interrupted()) throw new Interrupted();
  }

  /** Policy of a timed stage; orders started before the exception stage existed use today's default for it. */
  stagePolicy(stage: TimedStage): StagePolicy {
    return this.policy.stages[stage] ?? DEFAULT_POLICY.stages[stage];
  }

  /** The one place a stage changes: state, search attributes and read model together. */
  async transition(to: Stage, opts: { reason?: string; actor?: string; limitMs?: number } = {}): Promise<void> {
    const from = this.seq === 0 ? null : this.state.stage;
    const heldMs = this.state.heldMs;
    this.seq += 1;
    this.state.stage = to;
    this.state.stageEnteredAt = nowIso();
    this.state.escalation = 'none';
    this.state.heldMs = 0;
    const limitMs = opts.limitMs ?? this.stageLimitMs(to);
    this.state.stageDeadline = limitMs === undefined ? undefined : new Date(Date.now() + limitMs).toISOString();
    upsertSearchAttributes([{ key: SA.stage, value: to }]);
    this.settled = false;
    if (TERMINAL(to)) await this.closeOpenChanges(to);
    await record.recordTransition({
      orderId: this.orderId,
      orderNo: this.orderNo,
      seq: this.seq,
      from,
      to,
      at: this.state.stageEnteredAt,
      reason: opts.reason,
      actor: opts.actor,
      deadline: this.state.stageDeadline ?? null,
      heldMs,
    });
    this.settled = true;
  }

  /** The limit of a stage as it is entered: in transit, the ETA plus grace; else the policy's. */
  private stageLimitMs(to: Stage): number | undefined {
    if (to === 'in_transit' && this.state.shipment) return this.inTransitLimitMs(Date.now());
    return isTimed(to) ? parseDuration(this.stagePolicy(to).limit) : undefined;
  }

  /** Late past ETA + grace is an exception (SPEC 3.7): the in-transit limit, from a given entry time. */
  inTransitLimitMs(enteredAt: number): number {
    return Math.max(0, Date.parse(this.state.shipment!.eta) + parseDuration(this.policy.deliveryGrace) - enteredAt);
  }

  /** A terminal stage closes the change under review: nobody may decide it any more. */
  private async closeOpenChanges(to: Stage): Promise<void> {
    const open = this.openChange();
    if (!open || !patched('close-changes-at-end')) return;
    await record.updateChangeRequest({ changeId: open.changeId, orderNo: this.orderNo, status: 'rejected', note: `the order was ${to} before the change was applied` });
    open.status = 'rejected';
  }

  /** For handlers that answer with the order's next stage: true once `from` is left and the move is recorded. */
  movedOn(from: Stage): boolean {
    return this.state.stage !== from && this.settled;
  }

  private alertKey(level: string, part?: string): string {
    return `${this.orderId}:${this.seq}:${part ? `${part}:` : ''}${level}`;
  }

  /**
   * `part` names a department's share of a review; `keyPart` (default: part)
   * makes the alert's key, so a change review's alerts never share a key
   * with the stage's own or with another change's.
   */
  private async raise(stage: string, step: ClockStep, assignee: Role, part?: string, keyPart = part): Promise<void> {
    const who = part ? `${part} (${assignee})` : assignee;
    const message =
      step.level === 'warned'
        ? `Early warning: the ${stage} time limit passes in ${this.policy.earlyWarning}; the order is waiting for ${who}.`
        : step.level === 'reminded'
        ? `The ${stage} time limit has passed; the order is waiting for ${who}.`
        : step.level === 'escalated'
          ? `Escalated: ${stage} is overdue and still waiting for ${who}.`
          : `Timed out: ${stage} ran out of time waiting for ${who}.`;
    this.state.alerts.push(`${stage}:${part ? `${part}:` : ''}${step.level}`);
    await record.raiseStageAlert({
      orderId: this.orderId,
      orderNo: this.orderNo,
      key: this.alertKey(step.level, keyPart),
      stage: this.state.stage,
      level: step.level,
      role: step.role,
      message,
    });
  }

  /**
   * Waits in a timed stage with its clock (reminder, escalation, timeout).
   * True when the work was done; false when the time ran out and the stage's
   * timeout action is not "keep waiting".
   */
  async waitInStage(stage: TimedStage, done: () => boolean, limitMs?: number, roles?: { assignee: Role; manager: Role }): Promise<boolean> {
    const p = this.stagePolicy(stage);
    const finished = await waitWithClock({
      stage,
      steps: clockSteps(p, { limitMs, warningMs: this.warningMs(), roles }),
      startedAt: Date.parse(this.state.stageEnteredAt),
      heldMs: () => this.state.heldMs,
      raised: () => this.state.escalation,
      done,
      held: () => this.state.hold !== undefined,
      interrupted: () => this.interrupted(),
      wait: (fn, ms, summary) => this.wait(fn, ms, summary),
      onStep: async (step) => {
        this.state.escalation = step.level;
        await this.raise(stage, step, roles?.assignee ?? p.assignee);
      },
    });
    if (finished) return true;
    if (p.timeoutAction === 'keep_waiting') {
      await this.wait(() => done() || this.interrupted());
      if (!done()) throw new Interrupted();
      return true;
    }
    return false;
  }

  /** The stage's timeout action once its clock has run out. */
  async stageTimedOut(stage: TimedStage, detail?: string): Promise<Stage> {
    const reason = detail ?? `${stage} timed out`;
    if (this.stagePolicy(stage).timeoutAction === 'cancel') {
      this.cancelRequest = { reason, actor: 'system' };
      throw new Interrupted();
    }
    return this.stop('rejected', reason);
  }

  /** Ends the order as rejected, telling the customer why. */
  async stop(to: 'rejected', reason: string, actor?: string): Promise<Stage> {
    // After confirmation something may be reserved, made, booked or invoiced: undo it first.
    const confirmed = !PRE_CONFIRMATION_STAGES.includes(this.state.stage);
    const refund = confirmed ? await this.undoAll(actor ?? 'system') : '0.00';
    this.state.outcome = `${to}: ${reason}${refund !== '0.00' ? ` (refund due ${refund})` : ''}`;
    await this.transition(to, { reason, actor });
    await mail.sendCustomerEmail({ key: `${to}:${this.orderId}`, orderId: this.orderId, template: 'order_rejected', data: { orderNo: this.orderNo, reason } });
    return to;
  }

  async finish(): Promise<OrderState> {
    await this.wait(allHandlersFinished);
    return this.state;
  }

  /** Sales or finance review: wait for the decision (or the clock) and say where the order goes. */
  async review(stage: 'sales_review' | 'finance_review'): Promise<Stage> {
    const decided = await this.waitInStage(stage, () => this.pendingDecision?.stage === stage);
    // (decisions are recorded by their update handler, under the command lock)
    if (!decided) return this.stageTimedOut(stage);
    const { args } = this.pendingDecision!;
    this.pendingDecision = undefined;
    if (args.decision === 'reject') return this.stop('rejected', args.comment ?? `${stage} rejected`, args.actor);
    if (args.decision === 'return') {
      this.state.returnedWith = { stage, comment: args.comment ?? '', actor: args.actor };
      return 'correction';
    }
    return stage === 'sales_review' ? 'finance_review' : 'confirmation';
  }

  /** Joint review: production, logistics and finance decide in parallel, each on its own clock. */
  async jointReview(): Promise<Stage> {
    const joint = (this.state.joint ??= {
      production: { escalation: 'none' },
      logistics: { escalation: 'none' },
      finance: { escalation: 'none' },
    } as Record<JointDepartment, JointDecisionState>);
    const rejected = () => JOINT_DEPARTMENTS.find((d) => joint[d].decision === 'reject');
    const p = this.stagePolicy('joint_review');
    // The three clocks wait side by side with the command lock let go (decisions come in
    // meanwhile); a clock's reminder or escalation takes the lock for its own step.
    this.lock.release();
    const waiting = Promise.all(
      JOINT_DEPARTMENTS.map((d) =>
        waitWithClock({
          stage: 'joint_review',
          steps: clockSteps(p, { warningMs: this.warningMs(), roles: departmentRoles(d) }),
          startedAt: Date.parse(this.state.stageEnteredAt),
          heldMs: () => this.state.heldMs,
          raised: () => joint[d].escalation,
          done: () => joint[d].decision !== undefined || rejected() !== undefined,
          held: () => this.state.hold !== undefined,
          interrupted: () => this.interrupted(),
          onStep: (step) =>
            this.lock.run(async () => {
              joint[d].escalation = step.level;
              await this.raise('joint_review', step, d, d);
            }),
        }).then((ok) => ({ d, ok })),
      ),
    );
    let results: { d: JointDepartment; ok: boolean }[];
    try {
      results = await waiting;
    } finally {
      if (this.lock.enabled) await this.lock.acquire();
    }
    const refused = rejected();
    if (refused) return this.stop('rejected', `joint review: ${refused} rejected (${joint[refused].comment ?? ''})`, joint[refused].actor);
    const late = results.filter((r) => !r.ok).map((r) => r.d);
    if (late.length) return this.stageTimedOut('joint_review', `joint review timed out waiting for ${late.join(', ')}`);
    return 'confirmation';
  }

  /** Stock preparation's wait: all production done; the limit follows the plan (latest finish + grace). */
  async waitForProduction(): Promise<Stage | undefined> {
    const allDone = () => this.state.production.every((x) => x.status === 'completed');
    while (!allDone()) {
      const version = this.planVersion;
      const latest = Math.max(...this.state.production.filter((x) => x.status !== 'completed').map((x) => Date.parse(x.plannedFinish)));
      const limitMs = latest + parseDuration(this.policy.productionGrace) - Date.parse(this.state.stageEnteredAt);
      const deadline = new Date(Date.parse(this.state.stageEnteredAt) + limitMs).toISOString();
      // The stored deadline follows the plan, so lists and the timeliness KPI see the real limit.
      if (deadline !== this.state.stageDeadline && patched('stage-deadline-from-plan'))
        await record.recordStageDeadline({ orderId: this.orderId, seq: this.seq, deadline });
      this.state.stageDeadline = deadline;
      const done = await this.waitInStage('stock_preparation', () => allDone() || this.planVersion !== version, limitMs);
      // The stage's timeout action (reject or cancel) ends the order; keep_waiting never gets here.
      if (!done) return this.stageTimedOut('stock_preparation', 'production did not finish in time');
    }
    return undefined;
  }

  async issueInvoice(issuedAt: string): Promise<void> {
    const invoice = await act.issueInvoice({ orderId: this.orderId, issuedAt, dueDate: dueDate(issuedAt, this.term()) });
    this.state.invoice = { invoiceId: invoice.invoiceId, invoiceNo: invoice.invoiceNo, amount: invoice.amount, paid: '0.00', dueDate: invoice.dueDate };
    await mail.sendCustomerEmail({
      key: `invoice:${invoice.invoiceId}`,
      orderId: this.orderId,
      template: 'invoice_issued',
      data: { orderNo: this.orderNo, invoiceNo: invoice.invoiceNo, amount: invoice.amount, currency: this.input.currency, dueDate: invoice.dueDate.slice(0, 10) },
    });
  }

  /** Risk assessment (SPEC 4): at intake and whenever the order's facts change. */
  async assessRisks(): Promise<void> {
    const result = await act.assessRisks({ orderId: this.orderId, orderNo: this.orderNo });
    if (result.level !== this.state.riskLevel) upsertSearchAttributes([{ key: SA.riskLevel, value: result.level }]);
    this.state.riskLevel = result.level;
  }

  /**
   * Cancellation (SPEC "Changes and cancellation"): undo what was done, in
   * reverse order, then tell the customer. Each step is idempotent and a
   * no-op when there is nothing to undo.
   */
  async compensateAndCancel(): Promise<void> {
    const { reason, actor } = this.cancelRequest!;
    const orderId = this.orderId;
    const refund = await this.undoAll(actor);
    this.state.outcome = `cancelled: ${reason}${refund !== '0.00' ? ` (refund due ${refund})` : ''}`;
    await this.transition('cancelled', { reason, actor });
    await mail.sendCustomerEmail({ key: `cancelled:${orderId}`, orderId, template: 'order_cancelled', data: { orderNo: this.orderNo, reason } });
  }

  /** Undoes what was done, in reverse order; returns the refund due (money already paid). */
  private async undoAll(actor: string): Promise<string> {
    const orderId = this.orderId;
    const voided = await act.voidInvoice({ orderId, actor });
    await act.cancelShipment({ orderId, actor });
    await act.cancelProductionOrders({ orderId, actor });
    await act.releaseReservations({ orderId, actor });
    for (const p of this.state.production) if (p.status !== 'completed') p.status = 'completed';
    return voided.refundDue;
  }

  /**
   * A step failed for good: the order stops in the exception stage with the
   * reason, for a person to retry or cancel it (SPEC 3a). Called by the main
   * loop and by side loops (under the command lock).
   */
  noteFailure(step: string, err: ActivityFailure): void {
    if (this.state.exception) return; // one at a time: the first failure is the one to fix
    const stage: Stage = this.cancelRequest ? 'cancelled' : this.state.stage === 'exception' ? 'exception' : this.state.stage;
    this.state.exception = { stage, step, message: failureMessage(err), at: nowIso() };
  }

  /** The exception stage: alert the failed stage's people, then wait (with reminders and escalation) for a decision. */
  async awaitResolution(): Promise<Stage> {
    const ex = this.state.exception as ExceptionState;
    const roles = this.exceptionRoles(ex.stage);
    const message = `${ex.step} failed in ${ex.stage}: ${ex.message}. Retry after fixing the cause, or cancel the order.`;
    for (const role of [roles.assignee, roles.manager])
      await record.raiseStageAlert({
        orderId: this.orderId,
        orderNo: this.orderNo,
        key: this.alertKey('exception', role),
        stage: 'exception',
        level: 'exception',
        role,
        message,
      });
    this.state.alerts.push(`exception:${ex.stage}:${ex.step}`);
    // keep_waiting: returns once resolved; "cancel" interrupts it (cancelRequest).
    await this.waitInStage('exception', () => this.retryRequested, undefined, roles);
    this.retryRequested = false;
    this.state.exception = undefined;
    return ex.stage;
  }

  /** Who answers for a failed stage: its assignee and manager (a failed cancellation: sales and sales manager). */
  private exceptionRoles(stage: Stage): { assignee: Role; manager: Role } {
    if (isTimed(stage) && stage !== 'exception') {
      const p = this.stagePolicy(stage);
      return { assignee: p.assignee, manager: p.manager };
    }
    if (stage === 'awaiting_payment') return { assignee: 'finance', manager: 'finance_manager' };
    return { assignee: 'sales', manager: 'sales_manager' };
  }

  /** The change under review, if any (one at a time). */
  openChange(): ChangeState | undefined {
    return this.state.changes.find((c) => c.status === 'under_review' || c.status === 'approved');
  }

  /** Runs a filed change's review clocks, then applies or refuses it. Called by the change side loop. */
  async reviewAndApplyChange(change: ChangeState): Promise<void> {
    if (change.status === 'under_review') {
      const p = this.stagePolicy('change_review');
      const reviewers = Object.keys(change.reviewers) as Department[];
      const refused = () => reviewers.find((d) => change.reviewers[d]!.decision === 'reject');
      const results = await Promise.all(
        reviewers.map((d) =>
          waitWithClock({
            stage: `change ${change.changeId}`,
            steps: clockSteps(p, { warningMs: this.warningMs(), roles: departmentRoles(d) }),
            startedAt: Date.parse(change.requestedAt),
            heldMs: () => 0,
            raised: () => change.reviewers[d]!.escalation as EscalationLevel,
            done: () => change.reviewers[d]!.decision !== undefined || refused() !== undefined,
            held: () => false,
            interrupted: () => this.cancelRequest !== undefined || this.continueAsNewDue() || TERMINAL(this.state.stage),
            onStep: (step) =>
              this.step(async () => {
                if (change.status !== 'under_review') return;
                change.reviewers[d]!.escalation = step.level;
                await this.raise(`change_review ${change.changeId}`, step, d, d, `change:${change.changeId}:${d}`);
              }),
          }).then((ok) => ({ d, ok })),
        ),
      );
      const no = refused();
      const late = results.filter((r) => !r.ok).map((r) => r.d);
      if (no || late.length) {
        const why = no ? `${no} rejected: ${change.reviewers[no]!.comment ?? ''}` : `not decided in time by ${late.join(', ')}`;
        await this.step(async () => {
          if (change.status === 'under_review') await this.refuseChange(change, why);
        });
        return;
      }
    }
    await this.step(async () => {
      if (change.status !== 'under_review' && change.status !== 'approved') return; // closed meanwhile (the order ended)
      change.status = 'approved';
      try {
        await this.applyChange(change);
      } catch (err) {
        // A change the data no longer allows (a product withdrawn meanwhile, no carrier for the new
        // address, a step out of retries) is refused with the reason; the order goes on as it was.
        if (!isStepFailure(err)) throw err;
        await this.refuseChange(change, failureMessage(err));
      }
    });
  }

  private async busyDo<T>(fn: () => Promise<T>): Promise<T> {
    this.busy += 1;
    try {
      return await fn();
    } finally {
      this.busy -= 1;
    }
  }

  private async refuseChange(change: ChangeState, why: string): Promise<void> {
    await act.updateChangeRequest({ changeId: change.changeId, orderNo: this.orderNo, status: 'rejected', note: why });
    change.status = 'rejected';
  }

  /** An approved change: the order and its plan follow (credit, stock, production, carrier, invoice, customer). */
  private async applyChange(change: ChangeState): Promise<void> {
    if (TERMINAL(this.state.stage) || this.dispatchedAt) return this.refuseChange(change, 'the order moved on before the change could be applied');
    const credit = await act.financeCheck({
      orderId: this.orderId,
      minMargin: this.policy.minMargin,
      priceDeviation: this.policy.priceDeviation,
      changes: change.changes,
    });
    if (!credit.credit.ok)
      return this.refuseChange(change, `credit check failed: exposure ${credit.credit.exposure}, available ${credit.credit.available}`);
    const applied = await act.applyOrderChanges({ orderId: this.orderId, orderNo: this.orderNo, key: `change:${change.changeId}`, kind: 'change', changes: change.changes, actor: change.requestedBy });
    this.adopt(applied);
    const confirmed = !['sales_review', 'correction', 'finance_review', 'joint_review'].includes(this.state.stage);
    if (confirmed) {
      const plan = await act.adjustPlan({ orderId: this.orderId, at: nowIso() });
      this.state.production = plan.production;
      this.planVersion += 1;
      if (this.state.shipment) {
        const booking = await act.rebookCarrier({ orderId: this.orderId, key: change.changeId, shipDate: nowIso() });
        this.state.shipment = { carrierCode: booking.carrierCode, trackingNo: booking.trackingNo, eta: booking.eta };
        this.carrierName = booking.carrierName;
      }
      if (this.state.invoice) {
        const inv = await act.updateInvoiceAmount({ orderId: this.orderId });
        this.state.invoice.amount = inv.amount;
        // A higher total reopens a paid invoice: shipping waits for it again and dunning resumes.
        this.paidInFull = inv.paidInFull;
      } else if (this.term().prepayment && patched('prepayment-after-change')) {
        // Terms changed to prepayment after confirmation: the invoice goes out now, shipping waits for it.
        await this.issueInvoice(nowIso());
      }
      if (plan.production.some((x) => x.status !== 'completed') && ['shipping', 'awaiting_prepayment'].includes(this.state.stage))
        this.replanTo = 'stock_preparation'; // more to make while waiting to ship
      else if (this.term().prepayment && !this.paidInFull && this.state.stage === 'shipping')
        this.replanTo = 'awaiting_prepayment'; // the prepayment no longer covers the order
    }
    await this.assessRisks();
    await act.updateChangeRequest({ changeId: change.changeId, orderNo: this.orderNo, status: 'applied', note: 'applied' });
    change.status = 'applied'; // after the write: the reviewer's answer then matches the database
    await mail.sendCustomerEmail({
      key: `changed:${change.changeId}`,
      orderId: this.orderId,
      template: 'order_changed',
      data: { orderNo: this.orderNo, total: this.state.totalAmount, currency: this.input.currency, reason: change.reason },
    });
  }

  /** Takes the order's new facts after a correction or change. */
  adopt(applied: { totalAmount: string; paymentTerms: string }): void {
    this.state.totalAmount = applied.totalAmount;
    this.state.paymentTerms = applied.paymentTerms;
    upsertSearchAttributes([{ key: SA.amount, value: Number(applied.totalAmount) }]);
  }
}

function isTimed(s: Stage | TimedStage): s is TimedStage {
  return (TIMED_STAGES as readonly string[]).includes(s);
}
