/**
 * The order's message handlers: every update validates first (wrong stage →
 * WrongStage, bad data → BadInput, segregation of duties → Forbidden) so a
 * refused command changes nothing and is not even written to the history;
 * accepted commands record themselves through an activity before the order
 * moves, so a 200 from the API means the decision is stored.
 *
 * One command path (SPEC 3a): each handler claims its slot synchronously
 * (so a second command for the same review, release, dispatch ... is refused
 * by its validator at once), then applies under the command lock after
 * checking its rules again against the state the previous command left
 * (run.command). Nothing a validator reads is set after an await.
 */
import { condition, patched, setHandler } from '@temporalio/workflow';
import { money } from '../domain/money';
import {
  DISPATCHED_STAGES,
  JOINT_DEPARTMENTS,
  PRE_CONFIRMATION_STAGES,
  TERMINAL_STAGES,
  cancelOrder,
  confirmDelivery,
  confirmDispatch,
  correctOrder,
  fileChange,
  financeReview,
  getState,
  holdOrder,
  jointReview,
  productionComplete,
  productionProgress,
  recordPayment,
  releaseOrder,
  resolveException,
  reviewChange,
  salesReview,
  type ChangeResult,
  type ChangeReviewArgs,
  type JointReviewArgs,
  type ChangeState,
  type Department,
  type LogisticsConfirmArgs,
  type OrderChanges,
  type ReasonArgs,
  type ResolveExceptionArgs,
  type ReviewArgs,
  type Stage,
  type StageResult,
} from './contract';
import { badInput, forbidden, notFound, wrongStage, type OrderRun } from './run';

const MONEY_RE = /^\d{1,12}(\.\d{1,2})?$/;

export function registerHandlers(run: OrderRun): void {
  const { state, orderId, orderNo, act, mail } = run;
  const now = () => new Date(Date.now()).toISOString();
  const terminal = () => TERMINAL_STAGES.includes(state.stage);
  const dispatched = () => run.dispatchedAt !== undefined || DISPATCHED_STAGES.includes(state.stage);
  /** A command for this slot was accepted and is waiting for the lock: a second one is refused now. */
  const unclaimed = (claim: string, what: string) => {
    if (run.claims.has(claim)) throw wrongStage(`${what} for ${orderNo} is already being recorded`);
  };
  const needsText = (field: string, value: string | undefined, what: string) => {
    if (!value?.trim()) throw badInput(field, what);
  };

  setHandler(getState, () => state);

  // --- Sales and finance review -------------------------------------------
  const review = (stage: 'sales_review' | 'finance_review') => {
    const check = (args: ReviewArgs) => {
      if (state.stage !== stage) throw wrongStage(`order ${orderNo} is in ${state.stage}, not ${stage}`);
      if (run.pendingDecision) throw wrongStage(`a ${stage} decision for ${orderNo} is already being recorded`);
      if ((args.decision === 'reject' || args.decision === 'return') && !args.comment?.trim())
        throw badInput('comment', `a ${args.decision === 'reject' ? 'rejection' : 'return for correction'} needs a comment`);
      // Segregation of duties: whoever entered the order cannot approve its finance review.
      if (stage === 'finance_review' && args.decision === 'approve' && args.actor === run.input.enteredBy)
        throw forbidden(`${args.actor} entered order ${orderNo} and cannot approve its finance review`);
    };
    return {
      validator(args: ReviewArgs) {
        unclaimed(stage, `a ${stage} decision`);
        check(args);
      },
      async handler(args: ReviewArgs): Promise<StageResult> {
        await run.command(stage, () => check(args), async () => {
          if (stage === 'finance_review' && args.decision === 'approve') await refuseUnlessFinanceOk();
          const at = now();
          await act.recordReview({ orderId, orderNo, key: `${stage}:${state.stageEnteredAt}`, stage, decision: args.decision, comment: args.comment, actor: args.actor, at });
          state.decisions.push({ stage, decision: args.decision, comment: args.comment ?? '', actor: args.actor, at });
          run.pendingDecision = { stage, args };
        });
        await condition(() => run.movedOn(stage));
        return { orderNo, stage: state.stage };
      },
    };
  };
  const sales = review('sales_review');
  setHandler(salesReview, sales.handler, { validator: sales.validator });
  const finance = review('finance_review');
  setHandler(financeReview, finance.handler, { validator: finance.validator });

  /**
   * SPEC 3.3: a customer on credit hold, over the credit limit, or asking for
   * payment terms they are not allowed, cannot pass finance review.
   */
  async function refuseUnlessFinanceOk(): Promise<void> {
    const check = await act.financeCheck({ orderId, minMargin: run.policy.minMargin, priceDeviation: run.policy.priceDeviation });
    if (check.credit.creditHold) throw wrongStage(`customer is on credit hold: order ${orderNo} cannot pass finance review`);
    if (!check.credit.withinLimit)
      throw wrongStage(`credit exposure ${check.credit.exposure} exceeds the limit (available ${check.credit.available}): order ${orderNo} cannot be approved`);
    if (!check.termsAllowed && patched('finance-terms-check'))
      throw wrongStage(`payment terms ${state.paymentTerms} are not allowed for this customer: order ${orderNo} cannot be approved; correct the terms or reject`);
  }

  // --- Correction after "return" -------------------------------------------
  const checkCorrection = (args: { changes: OrderChanges }) => {
    if (state.stage !== 'correction') throw wrongStage(`order ${orderNo} is in ${state.stage}: only a returned order can be corrected`);
    if (run.corrected) throw wrongStage(`order ${orderNo} is already corrected`);
    validateChanges(args.changes, run.policy.paymentTerms);
  };
  setHandler(
    correctOrder,
    async (args) => {
      await run.command('correction', () => checkCorrection(args), async () => {
        const applied = await act.applyOrderChanges({ orderId, orderNo, key: `correction:${state.stageEnteredAt}`, kind: 'correction', changes: args.changes, actor: args.actor });
        run.adopt(applied);
        run.corrected = true;
      });
      await condition(() => run.movedOn('correction'));
      return { orderNo, stage: state.stage };
    },
    {
      validator: (args) => {
        unclaimed('correction', 'a correction');
        checkCorrection(args);
      },
    },
  );

  // --- Joint review ---------------------------------------------------------
  const checkJoint = (args: JointReviewArgs) => {
    if (state.stage !== 'joint_review') throw wrongStage(`order ${orderNo} is in ${state.stage}, not joint_review`);
    // Entered, but the departments' slots are opened once the stage's entry is recorded.
    if (!state.joint) throw wrongStage(`the joint review of ${orderNo} is being opened; try again in a moment`);
    if (!JOINT_DEPARTMENTS.includes(args.department)) throw badInput('department', 'department is production, logistics or finance');
    if (state.joint[args.department].decision) throw wrongStage(`${args.department} has already decided on ${orderNo}`);
    if (JOINT_DEPARTMENTS.some((d) => state.joint![d].decision === 'reject')) throw wrongStage(`order ${orderNo} is already rejected in joint review`);
    if (args.decision === 'reject' && !args.comment?.trim()) throw badInput('comment', 'a rejection needs a comment');
    if (args.actor === run.input.enteredBy) throw forbidden(`${args.actor} entered order ${orderNo} and cannot approve its joint review`);
  };
  setHandler(
    jointReview,
    async (args) => {
      const pending = await run.command(`joint:${args.department}`, () => checkJoint(args), async () => {
        const joint = state.joint!;
        const at = now();
        await act.recordReview({
          orderId,
          orderNo,
          key: `joint_review:${state.stageEnteredAt}:${args.department}`,
          stage: 'joint_review',
          department: args.department,
          decision: args.decision,
          comment: args.comment,
          actor: args.actor,
          at,
        });
        Object.assign(joint[args.department], { decision: args.decision, actor: args.actor, comment: args.comment, at });
        state.decisions.push({ stage: 'joint_review', decision: args.decision, comment: args.comment ?? '', actor: args.actor, at });
        return JOINT_DEPARTMENTS.filter((d) => joint[d].decision === undefined);
      });
      if (args.decision === 'reject' || pending.length === 0) await condition(() => run.movedOn('joint_review'));
      return { orderNo, stage: state.stage, pending };
    },
    {
      validator: (args: JointReviewArgs) => {
        unclaimed(`joint:${args.department}`, `a ${args.department} joint-review decision`);
        checkJoint(args);
      },
    },
  );

  // --- Production reports ---------------------------------------------------
  const findProduction = (id: string) => {
    const p = state.production.find((x) => x.productionOrderId === id);
    if (!p) throw notFound(`production order ${id} is not part of ${orderNo}`);
    if (state.stage !== 'stock_preparation' || p.status === 'completed') throw wrongStage(`production order ${id} is not open (order ${orderNo} is in ${state.stage})`);
    return p;
  };
  const checkProgress = (args: { productionOrderId: string; percent: number }) => {
    findProduction(args.productionOrderId);
    if (!Number.isInteger(args.percent) || args.percent < 0 || args.percent > 100) throw badInput('percent', 'percent is a whole number 0-100');
  };
  setHandler(
    productionProgress,
    async (args) => {
      await run.command(`progress:${args.productionOrderId}`, () => checkProgress(args), async () => {
        await act.reportProductionProgress(args);
        // Found again after the activity's await is not needed: nothing else runs under the lock.
        const p = findProduction(args.productionOrderId);
        p.percent = Math.max(p.percent, args.percent);
        p.status = 'in_progress';
      });
      return { orderNo, stage: state.stage };
    },
    { validator: checkProgress },
  );
  setHandler(
    productionComplete,
    async (args) => {
      const claim = `complete:${args.productionOrderId}`;
      await run.command(claim, () => void findProduction(args.productionOrderId), async () => {
        const result = await act.completeProduction({ ...args, at: now() });
        const p = findProduction(args.productionOrderId);
        if (result.status === 'completed') {
          p.status = 'completed';
          p.percent = 100;
        } else {
          // Failed quality check: rework with a new finish date; the stage's limit follows.
          p.status = 'in_progress';
          p.plannedFinish = result.plannedFinish;
          run.planVersion += 1;
        }
      });
      return { orderNo, stage: state.stage };
    },
    {
      validator: (args) => {
        unclaimed(`complete:${args.productionOrderId}`, `a completion of ${args.productionOrderId}`);
        findProduction(args.productionOrderId);
      },
    },
  );

  // --- Logistics ------------------------------------------------------------
  /** A confirmation time: not in the future, and not before the step it confirms (a typo a year back is refused). */
  const checkAt = (at: string | undefined, notBefore: string, what: string) => {
    if (at === undefined) return;
    const t = Date.parse(at);
    if (Number.isNaN(t)) throw badInput('at', 'at must be an ISO date-time');
    if (t > Date.now() + CLOCK_SKEW_MS) throw badInput('at', `${what} time ${at} is in the future`);
    if (t < Date.parse(notBefore) - CLOCK_SKEW_MS) throw badInput('at', `${what} time ${at} is before ${notBefore}, when the order could first be ${what === 'dispatch' ? 'dispatched' : 'delivered'}`);
  };
  const checkDispatch = (args: LogisticsConfirmArgs) => {
    if (state.stage !== 'shipping' || !state.shipment) throw wrongStage(`order ${orderNo} is in ${state.stage}: nothing is booked to dispatch`);
    if (run.dispatchedAt) throw wrongStage(`order ${orderNo} is already dispatched`);
    if (run.cancelRequest) throw wrongStage(`order ${orderNo} is being cancelled`);
    if (state.hold) throw wrongStage(`order ${orderNo} is on hold: ${state.hold.reason}`);
    if (run.openChange()) throw wrongStage(`order ${orderNo} has a change under review; dispatch after it is decided`);
    if (run.term().prepayment && !run.paidInFull) throw wrongStage(`order ${orderNo} is on prepayment terms and not paid in full: it cannot be dispatched`);
    checkAt(args.at, state.stageEnteredAt, 'dispatch');
  };
  setHandler(
    confirmDispatch,
    async (args) => {
      await run.command('dispatch', () => checkDispatch(args), async () => {
        const at = args.at ?? now();
        const done = (await act.confirmDispatch({ orderId, at, actor: args.actor })) as { eta?: string } | void;
        // The ETA counts from the real dispatch time, not the booking (no false late-delivery alerts).
        state.shipment!.eta = done?.eta ?? etaFromDispatch(state.shipment!.eta, state.stageEnteredAt, at);
        run.dispatchedAt = at;
      });
      await condition(() => run.movedOn('shipping'));
      return { orderNo, stage: state.stage };
    },
    {
      validator: (args: LogisticsConfirmArgs) => {
        unclaimed('dispatch', 'a dispatch');
        checkDispatch(args);
      },
    },
  );
  const checkDelivery = (args: LogisticsConfirmArgs) => {
    if (state.stage !== 'in_transit') throw wrongStage(`order ${orderNo} is in ${state.stage}, not in_transit`);
    if (run.deliveredAt) throw wrongStage(`order ${orderNo} is already delivered`);
    checkAt(args.at, state.shipment?.dispatchedAt ?? state.stageEnteredAt, 'delivery');
  };
  setHandler(
    confirmDelivery,
    async (args) => {
      await run.command('delivery', () => checkDelivery(args), async () => {
        const at = args.at ?? now();
        await act.confirmDelivery({ orderId, at, actor: args.actor });
        run.deliveredAt = at;
      });
      await condition(() => run.movedOn('in_transit'));
      return { orderNo, stage: state.stage };
    },
    {
      validator: (args: LogisticsConfirmArgs) => {
        unclaimed('delivery', 'a delivery');
        checkDelivery(args);
      },
    },
  );

  // --- Payments -------------------------------------------------------------
  /** The same reference with the same amount is a retry of a recorded payment: it gets the first answer. */
  const repeated = (args: { reference: string; amount: string }) => {
    const seen = run.paymentRefs[args.reference];
    if (seen && seen.amount !== args.amount) throw badInput('reference', `payment ${args.reference} was recorded with amount ${seen.amount}`);
    return seen;
  };
  const checkPayment = (args: { amount: string; reference: string }) => {
    if (repeated(args)) return;
    const inv = state.invoice;
    if (!inv || state.stage === 'cancelled' || run.cancelRequest) throw wrongStage(`order ${orderNo} has no open invoice`);
    if (run.paidInFull) throw wrongStage(`invoice ${inv.invoiceNo} is already paid in full`);
    if (!MONEY_RE.test(args.amount) || money(args.amount).lte(0)) throw badInput('amount', 'amount must be a positive decimal with at most 2 places');
    // More than the outstanding is accepted: the activity records the excess as a refund due.
  };
  setHandler(
    recordPayment,
    async (args) => {
      return run.command(`payment:${args.reference}`, () => checkPayment(args), async () => {
        const seen = repeated(args);
        if (seen) return { paymentId: seen.paymentId, outstanding: seen.outstanding, paidInFull: seen.paidInFull };
        const inv = state.invoice!;
        const result = await act.recordPayment({ orderId, ...args });
        inv.paid = result.paid;
        if (result.paidInFull) run.paidInFull = true;
        run.paymentRefs[args.reference] = { amount: args.amount, paymentId: result.paymentId, outstanding: result.outstanding, paidInFull: result.paidInFull };
        // The receipt only goes into the outbox: the payment never waits for SMTP.
        await mail.sendCustomerEmail({
          key: `payment:${result.paymentId}`,
          orderId,
          template: 'payment_received',
          data: { orderNo, invoiceNo: inv.invoiceNo, amount: args.amount, paid: result.paid, outstanding: result.outstanding, currency: run.input.currency },
        });
        return { paymentId: result.paymentId, outstanding: result.outstanding, paidInFull: result.paidInFull };
      });
    },
    {
      validator: (args) => {
        unclaimed(`payment:${args.reference}`, `payment ${args.reference}`);
        checkPayment(args);
      },
    },
  );

  // --- Change requests ------------------------------------------------------
  const checkFileChange = (args: { changeId: string; reason: string; changes: OrderChanges }) => {
    if (terminal() || run.cancelRequest) throw wrongStage(`order ${orderNo} is ${run.cancelRequest ? 'being cancelled' : state.stage}: it can no longer be changed`);
    if (dispatched()) throw wrongStage(`order ${orderNo} has been dispatched: changes are not possible after dispatch`);
    const open = run.openChange();
    if (open) throw wrongStage(`change ${open.changeId} is still under review; one change at a time`);
    if (state.changes.some((c) => c.changeId === args.changeId)) throw wrongStage(`change ${args.changeId} is already filed`);
    needsText('reason', args.reason, 'a change needs a reason');
    validateChanges(args.changes, run.policy.paymentTerms);
  };
  setHandler(
    fileChange,
    async (args): Promise<ChangeResult> => {
      return run.command('fileChange', () => checkFileChange(args), async () => {
        const reviewers: Department[] = PRE_CONFIRMATION_STAGES.includes(state.stage) ? ['sales', 'finance'] : [...JOINT_DEPARTMENTS];
        const change: ChangeState = {
          changeId: args.changeId,
          changes: args.changes,
          reason: args.reason,
          requestedBy: args.actor,
          requestedAt: now(),
          reviewers: Object.fromEntries(reviewers.map((d) => [d, { escalation: 'none' }])),
          status: 'under_review',
        };
        await act.fileChangeRequest({
          changeId: change.changeId,
          orderId,
          orderNo,
          changes: args.changes,
          reason: args.reason,
          wrongData: args.wrongData ?? false,
          requestedBy: args.actor,
          reviewers,
          at: change.requestedAt,
        });
        state.changes.push(change);
        return { orderNo, changeId: change.changeId, status: change.status, pending: reviewers };
      });
    },
    {
      validator: (args) => {
        unclaimed('fileChange', 'a change request');
        checkFileChange(args);
      },
    },
  );
  const checkChangeReview = (args: ChangeReviewArgs) => {
    const change = state.changes.find((c) => c.changeId === args.changeId);
    if (!change) throw notFound(`change ${args.changeId} is not part of ${orderNo}`);
    if (change.status !== 'under_review') throw wrongStage(`change ${args.changeId} is ${change.status}`);
    const slot = change.reviewers[args.department];
    if (!slot) throw badInput('department', `${args.department} does not review this change (reviewers: ${Object.keys(change.reviewers).join(', ')})`);
    if (slot.decision) throw wrongStage(`${args.department} has already decided on change ${args.changeId}`);
    if (args.decision === 'reject' && !args.comment?.trim()) throw badInput('comment', 'a rejection needs a comment');
    if (args.actor === change.requestedBy) throw forbidden(`${args.actor} filed change ${args.changeId} and cannot decide on it`);
    return change;
  };
  setHandler(
    reviewChange,
    async (args): Promise<ChangeResult> => {
      const { change, pending } = await run.command(`change:${args.changeId}:${args.department}`, () => void checkChangeReview(args), async () => {
        const change = checkChangeReview(args);
        const at = now();
        await act.recordReview({
          orderId,
          orderNo,
          key: `change:${args.changeId}:${args.department}`,
          stage: 'change_review' as Stage,
          department: args.department,
          decision: args.decision,
          comment: args.comment,
          actor: args.actor,
          at,
        });
        Object.assign(change.reviewers[args.department]!, { decision: args.decision, actor: args.actor, comment: args.comment, at });
        const pending = (Object.keys(change.reviewers) as Department[]).filter((d) => !change.reviewers[d]!.decision);
        return { change, pending };
      });
      // Answer once the change is decided (applied or refused), or at once while others are pending.
      if (args.decision === 'reject' || pending.length === 0) await condition(() => change.status === 'applied' || change.status === 'rejected');
      return { orderNo, changeId: change.changeId, status: change.status, pending };
    },
    {
      validator: (args: ChangeReviewArgs) => {
        unclaimed(`change:${args.changeId}:${args.department}`, `a ${args.department} decision on change ${args.changeId}`);
        checkChangeReview(args);
      },
    },
  );

  // --- Cancellation, hold and release ---------------------------------------
  const checkCancel = (args: ReasonArgs) => {
    if (terminal()) throw wrongStage(`order ${orderNo} is already ${state.stage}`);
    if (dispatched()) throw wrongStage(`order ${orderNo} has been dispatched: it can no longer be cancelled`);
    if (run.cancelRequest) throw wrongStage(`order ${orderNo} is already being cancelled`);
    needsText('reason', args.reason, 'a cancellation needs a reason');
  };
  setHandler(
    cancelOrder,
    async (args: ReasonArgs) => {
      await run.command('cancel', () => checkCancel(args), async () => {
        run.cancelRequest = args;
        // An order waiting in the exception stage is cancelled instead of retried.
        if (state.stage === 'exception' || run.exceptionPending()) state.exception = undefined;
      });
      // Cancelled; or stopped in the exception stage when a compensation step failed (then retried by a person).
      await condition(() => (terminal() || state.stage === 'exception') && run.settled);
      return { orderNo, stage: state.stage };
    },
    {
      validator: (args) => {
        unclaimed('cancel', 'a cancellation');
        checkCancel(args);
      },
    },
  );
  const checkHold = (args: ReasonArgs) => {
    if (terminal()) throw wrongStage(`order ${orderNo} is ${state.stage}`);
    if (state.hold) throw wrongStage(`order ${orderNo} is already on hold (${state.hold.reason})`);
    needsText('reason', args.reason, 'a hold needs a reason');
  };
  setHandler(
    holdOrder,
    async (args: ReasonArgs) => {
      await run.command('hold', () => checkHold(args), async () => {
        const since = now();
        state.hold = { reason: args.reason, actor: args.actor, since };
        await act.recordHold({ orderId, orderNo, key: `hold:${orderId}:${since}`, action: 'hold', stage: state.stage, reason: args.reason, actor: args.actor, at: since });
      });
      return { orderNo, stage: state.stage };
    },
    {
      validator: (args) => {
        unclaimed('hold', 'a hold');
        checkHold(args);
      },
    },
  );
  const checkRelease = (args: ReasonArgs) => {
    if (!state.hold) throw wrongStage(`order ${orderNo} is not on hold`);
    needsText('reason', args.reason, 'a release needs a reason');
  };
  setHandler(
    releaseOrder,
    async (args: ReasonArgs) => {
      await run.command('release', () => checkRelease(args), async () => {
        const hold = state.hold!;
        const at = now();
        const heldMs = Date.parse(at) - Date.parse(hold.since);
        await act.recordHold({ orderId, orderNo, key: `hold:${orderId}:${hold.since}`, action: 'release', stage: state.stage, reason: args.reason, actor: args.actor, at, heldMs });
        // The clock stood still: held time inside the current stage is not counted against its limit.
        if (Date.parse(hold.since) >= Date.parse(state.stageEnteredAt)) state.heldMs += heldMs;
        else state.heldMs += Date.parse(at) - Date.parse(state.stageEnteredAt);
        state.hold = undefined;
      });
      return { orderNo, stage: state.stage };
    },
    {
      validator: (args) => {
        unclaimed('release', 'a release');
        checkRelease(args);
      },
    },
  );

  // --- Exception ("needs attention") ----------------------------------------
  const checkResolve = (args: ResolveExceptionArgs) => {
    const ex = state.exception;
    if (state.stage !== 'exception' || !ex) throw wrongStage(`order ${orderNo} is in ${state.stage}: it has no exception to resolve`);
    if (run.retryRequested) throw wrongStage(`the exception of ${orderNo} is already resolved`);
    if (args.action !== 'retry' && args.action !== 'cancel') throw badInput('action', 'action is retry or cancel');
    needsText('comment', args.comment, 'say what was fixed, or why the order is cancelled');
    if (args.action === 'cancel') {
      if (ex.stage === 'cancelled') throw wrongStage(`order ${orderNo} is already being cancelled: only retry its compensation`);
      if (dispatched()) throw wrongStage(`order ${orderNo} has been dispatched: it can no longer be cancelled`);
    }
  };
  setHandler(
    resolveException,
    async (args: ResolveExceptionArgs) => {
      await run.command('exception', () => checkResolve(args), async () => {
        if (args.action === 'retry') run.retryRequested = true;
        else {
          run.cancelRequest = { reason: args.comment, actor: args.actor };
          state.exception = undefined;
        }
      });
      await condition(() => run.movedOn('exception'));
      return { orderNo, stage: state.stage };
    },
    {
      validator: (args) => {
        unclaimed('exception', 'a resolution');
        checkResolve(args);
      },
    },
  );
}

/** Allowed clock difference between a department's system and the workflow for "when it happened". */
const CLOCK_SKEW_MS = 5 * 60_000;

/** The booked ETA moved to count from the real dispatch time (same transit time). */
function etaFromDispatch(bookedEta: string, bookedAt: string, dispatchedAt: string): string {
  return new Date(Date.parse(bookedEta) + Math.max(0, Date.parse(dispatchedAt) - Date.parse(bookedAt))).toISOString();
}

/** Shape checks a validator can make without the database; the activity re-validates against it. */
function validateChanges(changes: OrderChanges, terms: Record<string, unknown>): void {
  if (!changes || typeof changes !== 'object') throw badInput('changes', 'changes must be an object');
  const keys = Object.keys(changes).filter((k) => (changes as Record<string, unknown>)[k] !== undefined);
  if (keys.length === 0) throw badInput('changes', 'a change must change something');
  if (changes.paymentTerms !== undefined && !(changes.paymentTerms in terms)) throw badInput('changes.paymentTerms', `unknown payment terms ${changes.paymentTerms}`);
  if (changes.lines !== undefined) {
    if (!Array.isArray(changes.lines) || changes.lines.length === 0) throw badInput('changes.lines', 'an order needs at least one line');
    changes.lines.forEach((l, i) => {
      if (!Number.isInteger(l.quantity) || l.quantity < 1) throw badInput(`changes.lines[${i}].quantity`, 'quantity is a whole number of at least 1');
      if (!MONEY_RE.test(l.unitPrice)) throw badInput(`changes.lines[${i}].unitPrice`, 'unit price is a decimal with at most 2 places');
    });
  }
}
