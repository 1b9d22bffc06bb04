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
  proxyActivities,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { createActivities } from '../../activities';
import { dueDate } from '../domain/billing';
import { parseDuration } from '../domain/duration';
import { TIMED_STAGES, type PaymentTermPolicy, type Policy, type Role, type TimedStage } from '../domain/policy';
import { clockSteps, Interrupted, waitWithClock, type ClockStep, type EscalationLevel } from './stage-clock';
import {
  FAILURE,
  JOINT_DEPARTMENTS,
  SA,
  type ChangeState,
  type Department,
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

const act = proxyActivities<Activities>({
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
  replanRequested = false;
  /** Bumped when the production plan changes, so the production wait recomputes its limit. */
  planVersion = 0;
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
      replanRequested: this.replanRequested,
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

  interrupted(): boolean {
    return this.cancelRequest !== undefined || this.replanRequested || this.continueAsNewDue();
  }

  /** An order on hold makes no progress until it is released. */
  async gate(): Promise<void> {
    await condition(() => !this.state.hold || this.interrupted());
    if (this.interrupted()) throw new Interrupted();
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
    const limitMs = opts.limitMs ?? (isTimed(to) ? parseDuration(this.policy.stages[to].limit) : undefined);
    this.state.stageDeadline = limitMs === undefined ? undefined : new Date(Date.now() + limitMs).toISOString();
    upsertSearchAttributes([{ key: SA.stage, value: to }]);
    this.settled = false;
    await act.recordTransition({
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

  /** For handlers that answer with the order's next stage: true once `from` is left and the move is recorded. */
  movedOn(from: Stage): boolean {
    return this.state.stage !== from && this.settled;
  }

  private alertKey(level: string, part?: string): string {
    return `${this.orderId}:${this.seq}:${part ? `${part}:` : ''}${level}`;
  }

  private async raise(stage: string, step: ClockStep, assignee: Role, part?: string): Promise<void> {
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
    await act.raiseStageAlert({
      orderId: this.orderId,
      orderNo: this.orderNo,
      key: this.alertKey(step.level, part),
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
  async waitInStage(stage: TimedStage, done: () => boolean, limitMs?: number): Promise<boolean> {
    const p = this.policy.stages[stage];
    const finished = await waitWithClock({
      stage,
      steps: clockSteps(p, { limitMs, warningMs: this.warningMs() }),
      startedAt: Date.parse(this.state.stageEnteredAt),
      heldMs: () => this.state.heldMs,
      raised: () => this.state.escalation,
      done,
      held: () => this.state.hold !== undefined,
      interrupted: () => this.interrupted(),
      onStep: async (step) => {
        this.state.escalation = step.level;
        await this.raise(stage, step, p.assignee);
      },
    });
    if (finished) return true;
    if (p.timeoutAction === 'keep_waiting') {
      await condition(() => done() || this.interrupted());
      if (!done()) throw new Interrupted();
      return true;
    }
    return false;
  }

  /** The stage's timeout action once its clock has run out. */
  async stageTimedOut(stage: TimedStage, detail?: string): Promise<Stage> {
    const reason = detail ?? `${stage} timed out`;
    if (this.policy.stages[stage].timeoutAction === 'cancel') {
      this.cancelRequest = { reason, actor: 'system' };
      throw new Interrupted();
    }
    return this.stop('rejected', reason);
  }

  /** Ends the order as rejected, telling the customer why. */
  async stop(to: 'rejected', reason: string, actor?: string): Promise<Stage> {
    this.state.outcome = `${to}: ${reason}`;
    await this.transition(to, { reason, actor });
    await mail.sendCustomerEmail({ key: `${to}:${this.orderId}`, orderId: this.orderId, template: 'order_rejected', data: { orderNo: this.orderNo, reason } });
    return to;
  }

  async finish(): Promise<OrderState> {
    await condition(allHandlersFinished);
    return this.state;
  }

  /** Sales or finance review: wait for the decision (or the clock) and say where the order goes. */
  async review(stage: 'sales_review' | 'finance_review'): Promise<Stage> {
    const decided = await this.waitInStage(stage, () => this.pendingDecision?.stage === stage);
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
    const p = this.policy.stages.joint_review;
    const results = await Promise.all(
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
          onStep: async (step) => {
            joint[d].escalation = step.level;
            await this.raise('joint_review', step, d, d);
          },
        }).then((ok) => ({ d, ok })),
      ),
    );
    const refused = rejected();
    if (refused) return this.stop('rejected', `joint review: ${refused} rejected (${joint[refused].comment ?? ''})`, joint[refused].actor);
    const late = results.filter((r) => !r.ok).map((r) => r.d);
    if (late.length) return this.stageTimedOut('joint_review', `joint review timed out waiting for ${late.join(', ')}`);
    return 'confirmation';
  }

  /** Stock preparation's wait: all production done; the limit follows the plan (latest finish + grace). */
  async waitForProduction(): Promise<void> {
    const allDone = () => this.state.production.every((x) => x.status === 'completed');
    while (!allDone()) {
      const version = this.planVersion;
      const latest = Math.max(...this.state.production.filter((x) => x.status !== 'completed').map((x) => Date.parse(x.plannedFinish)));
      const limitMs = latest + parseDuration(this.policy.productionGrace) - Date.parse(this.state.stageEnteredAt);
      this.state.stageDeadline = new Date(Date.parse(this.state.stageEnteredAt) + limitMs).toISOString();
      const done = await this.waitInStage('stock_preparation', () => allDone() || this.planVersion !== version, limitMs);
      if (!done) {
        await this.stageTimedOut('stock_preparation', 'production did not finish in time');
        return;
      }
    }
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
    const voided = await act.voidInvoice({ orderId, actor });
    await act.cancelShipment({ orderId, actor });
    await act.cancelProductionOrders({ orderId, actor });
    await act.releaseReservations({ orderId, actor });
    for (const p of this.state.production) if (p.status !== 'completed') p.status = 'completed';
    this.state.outcome = `cancelled: ${reason}${voided.refundDue !== '0.00' ? ` (refund due ${voided.refundDue})` : ''}`;
    await this.transition('cancelled', { reason, actor });
    await mail.sendCustomerEmail({ key: `cancelled:${orderId}`, orderId, template: 'order_cancelled', data: { orderNo: this.orderNo, reason } });
  }

  /** The change under review, if any (one at a time). */
  openChange(): ChangeState | undefined {
    return this.state.changes.find((c) => c.status === 'under_review' || c.status === 'approved');
  }

  /** Runs a filed change's review clocks, then applies or refuses it. Called by the change side loop. */
  async reviewAndApplyChange(change: ChangeState): Promise<void> {
    if (change.status === 'under_review') {
      const p = this.policy.stages.change_review;
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
            onStep: async (step) => {
              change.reviewers[d]!.escalation = step.level;
              this.busy += 1;
              try {
                await this.raise(`change_review ${change.changeId}`, step, d, d);
              } finally {
                this.busy -= 1;
              }
            },
          }).then((ok) => ({ d, ok })),
        ),
      );
      const no = refused();
      const late = results.filter((r) => !r.ok).map((r) => r.d);
      if (no || late.length) {
        const why = no ? `${no} rejected: ${change.reviewers[no]!.comment ?? ''}` : `not decided in time by ${late.join(', ')}`;
        await this.busyDo(() => this.refuseChange(change, why));
        return;
      }
      change.status = 'approved';
    }
    await this.busyDo(async () => {
      try {
        await this.applyChange(change);
      } catch (err) {
        // A change the data no longer allows (e.g. a product was withdrawn meanwhile) is refused, not retried forever.
        if (!(err instanceof ActivityFailure) || !(err.cause instanceof ApplicationFailure) || !err.cause.nonRetryable) throw err;
        await this.refuseChange(change, err.cause.message);
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
        this.paidInFull = inv.paidInFull;
      }
      // More to make while waiting to ship: go back to stock preparation.
      if (plan.production.some((x) => x.status !== 'completed') && ['shipping', 'awaiting_prepayment'].includes(this.state.stage))
        this.replanRequested = true;
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

const TERMINAL = (s: Stage) => s === 'closed' || s === 'rejected' || s === 'cancelled';

function isTimed(s: Stage | TimedStage): s is TimedStage {
  return (TIMED_STAGES as readonly string[]).includes(s);
}
