/**
 * The order's message handlers: every update validates first (wrong stage →
 * WrongStage, bad data → BadInput, segregation of duties → Forbidden) so a
 * refused command changes nothing and is not even written to the history;
 * accepted commands record themselves through an activity before the order
 * moves, so a 200 from the API means the decision is stored.
 */
import { condition, setHandler } from '@temporalio/workflow';
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
  let decisionInFlight = false;

  setHandler(getState, () => state);

  // --- Sales and finance review -------------------------------------------
  const review = (stage: 'sales_review' | 'finance_review') => ({
    validator(args: ReviewArgs) {
      if (state.stage !== stage) throw wrongStage(`order ${orderNo} is in ${state.stage}, not ${stage}`);
      if (decisionInFlight || run.pendingDecision) throw wrongStage(`a ${stage} decision for ${orderNo} is already being recorded`);
      if ((args.decision === 'reject' || args.decision === 'return') && !args.comment?.trim())
        throw badInput('comment', `a ${args.decision === 'reject' ? 'rejection' : 'return for correction'} needs a comment`);
      // Segregation of duties: whoever entered the order cannot approve its finance review.
      if (stage === 'finance_review' && args.decision === 'approve' && args.actor === run.input.enteredBy)
        throw forbidden(`${args.actor} entered order ${orderNo} and cannot approve its finance review`);
    },
    async handler(args: ReviewArgs): Promise<StageResult> {
      if (decisionInFlight || run.pendingDecision) throw wrongStage(`a ${stage} decision for ${orderNo} is already being recorded`);
      decisionInFlight = true;
      try {
        if (stage === 'finance_review' && args.decision === 'approve') await refuseUnlessCreditOk();
        const at = now();
        await act.recordReview({ orderId, orderNo, key: `${stage}:${state.stageEnteredAt}`, stage, decision: args.decision, comment: args.comment, actor: args.actor, at });
        state.decisions.push({ stage, decision: args.decision, comment: args.comment ?? '', actor: args.actor, at });
        run.pendingDecision = { stage, args };
      } finally {
        decisionInFlight = false;
      }
      await condition(() => run.movedOn(stage));
      return { orderNo, stage: state.stage };
    },
  });
  const sales = review('sales_review');
  setHandler(salesReview, sales.handler, { validator: sales.validator });
  const finance = review('finance_review');
  setHandler(financeReview, finance.handler, { validator: finance.validator });

  /** SPEC: a customer on credit hold, or over the credit limit, cannot pass finance review. */
  async function refuseUnlessCreditOk(): Promise<void> {
    const check = await act.financeCheck({ orderId, minMargin: run.policy.minMargin, priceDeviation: run.policy.priceDeviation });
    if (check.credit.creditHold) throw wrongStage(`customer is on credit hold: order ${orderNo} cannot pass finance review`);
    if (!check.credit.withinLimit)
      throw wrongStage(`credit exposure ${check.credit.exposure} exceeds the limit (available ${check.credit.available}): order ${orderNo} cannot be approved`);
  }

  // --- Correction after "return" -------------------------------------------
  setHandler(
    correctOrder,
    async (args) => {
      const applied = await act.applyOrderChanges({ orderId, orderNo, key: `correction:${state.stageEnteredAt}`, kind: 'correction', changes: args.changes, actor: args.actor });
      run.adopt(applied);
      run.corrected = true;
      await condition(() => run.movedOn('correction'));
      return { orderNo, stage: state.stage };
    },
    {
      validator: (args) => {
        if (state.stage !== 'correction') throw wrongStage(`order ${orderNo} is in ${state.stage}: only a returned order can be corrected`);
        if (run.corrected) throw wrongStage(`order ${orderNo} is already corrected`);
        validateChanges(args.changes, run.policy.paymentTerms);
      },
    },
  );

  // --- Joint review ---------------------------------------------------------
  setHandler(
    jointReview,
    async (args) => {
      const joint = state.joint!;
      await act.recordReview({
        orderId,
        orderNo,
        key: `joint_review:${state.stageEnteredAt}:${args.department}`,
        stage: 'joint_review',
        department: args.department,
        decision: args.decision,
        comment: args.comment,
        actor: args.actor,
        at: now(),
      });
      Object.assign(joint[args.department], { decision: args.decision, actor: args.actor, comment: args.comment, at: now() });
      state.decisions.push({ stage: 'joint_review', decision: args.decision, comment: args.comment ?? '', actor: args.actor, at: now() });
      const pending = JOINT_DEPARTMENTS.filter((d) => joint[d].decision === undefined);
      if (args.decision === 'reject' || pending.length === 0) await condition(() => run.movedOn('joint_review'));
      return { orderNo, stage: state.stage, pending };
    },
    {
      validator: (args: JointReviewArgs) => {
        if (state.stage !== 'joint_review' || !state.joint) throw wrongStage(`order ${orderNo} is in ${state.stage}, not joint_review`);
        if (!JOINT_DEPARTMENTS.includes(args.department)) throw badInput('department', 'department is production, logistics or finance');
        if (state.joint[args.department].decision) throw wrongStage(`${args.department} has already decided on ${orderNo}`);
        if (args.decision === 'reject' && !args.comment?.trim()) throw badInput('comment', 'a rejection needs a comment');
        if (args.actor === run.input.enteredBy) throw forbidden(`${args.actor} entered order ${orderNo} and cannot approve its joint review`);
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
  setHandler(
    productionProgress,
    async (args) => {
      const p = findProduction(args.productionOrderId);
      await act.reportProductionProgress(args);
      p.percent = Math.max(p.percent, args.percent);
      p.status = 'in_progress';
      return { orderNo, stage: state.stage };
    },
    {
      validator: (args) => {
        findProduction(args.productionOrderId);
        if (!Number.isInteger(args.percent) || args.percent < 0 || args.percent > 100) throw badInput('percent', 'percent is a whole number 0-100');
      },
    },
  );
  setHandler(
    productionComplete,
    async (args) => {
      const p = findProduction(args.productionOrderId);
      const result = await act.completeProduction({ ...args, at: now() });
      if (result.status === 'completed') {
        p.status = 'completed';
        p.percent = 100;
      } else {
        // Failed quality check: rework with a new finish date; the stage's limit follows.
        p.status = 'in_progress';
        p.plannedFinish = result.plannedFinish;
        run.planVersion += 1;
      }
      return { orderNo, stage: state.stage };
    },
    { validator: (args) => void findProduction(args.productionOrderId) },
  );

  // --- Logistics ------------------------------------------------------------
  setHandler(
    confirmDispatch,
    async (args) => {
      const at = args.at ?? now();
      await act.confirmDispatch({ orderId, at, actor: args.actor });
      run.dispatchedAt = at;
      await condition(() => run.movedOn('shipping'));
      return { orderNo, stage: state.stage };
    },
    {
      validator: (_args: LogisticsConfirmArgs) => {
        if (state.stage !== 'shipping' || !state.shipment) throw wrongStage(`order ${orderNo} is in ${state.stage}: nothing is booked to dispatch`);
        if (run.dispatchedAt) throw wrongStage(`order ${orderNo} is already dispatched`);
        if (state.hold) throw wrongStage(`order ${orderNo} is on hold: ${state.hold.reason}`);
        if (run.openChange()) throw wrongStage(`order ${orderNo} has a change under review; dispatch after it is decided`);
      },
    },
  );
  setHandler(
    confirmDelivery,
    async (args) => {
      const at = args.at ?? now();
      await act.confirmDelivery({ orderId, at, actor: args.actor });
      run.deliveredAt = at;
      await condition(() => run.movedOn('in_transit'));
      return { orderNo, stage: state.stage };
    },
    {
      validator: (_args: LogisticsConfirmArgs) => {
        if (state.stage !== 'in_transit') throw wrongStage(`order ${orderNo} is in ${state.stage}, not in_transit`);
        if (run.deliveredAt) throw wrongStage(`order ${orderNo} is already delivered`);
      },
    },
  );

  // --- Payments -------------------------------------------------------------
  setHandler(
    recordPayment,
    async (args) => {
      const inv = state.invoice!;
      const result = await act.recordPayment({ orderId, ...args });
      inv.paid = result.paid;
      if (result.paidInFull) run.paidInFull = true;
      await mail.sendCustomerEmail({
        key: `payment:${result.paymentId}`,
        orderId,
        template: 'payment_received',
        data: { orderNo, invoiceNo: inv.invoiceNo, amount: args.amount, paid: result.paid, outstanding: result.outstanding, currency: run.input.currency },
      });
      return { paymentId: result.paymentId, outstanding: result.outstanding, paidInFull: result.paidInFull };
    },
    {
      validator: (args) => {
        const inv = state.invoice;
        if (!inv || state.stage === 'cancelled') throw wrongStage(`order ${orderNo} has no open invoice`);
        if (run.paidInFull) throw wrongStage(`invoice ${inv.invoiceNo} is already paid in full`);
        if (!MONEY_RE.test(args.amount) || money(args.amount).lte(0)) throw badInput('amount', 'amount must be a positive decimal with at most 2 places');
      },
    },
  );

  // --- Change requests ------------------------------------------------------
  setHandler(
    fileChange,
    async (args): Promise<ChangeResult> => {
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
    },
    {
      validator: (args) => {
        if (terminal()) throw wrongStage(`order ${orderNo} is ${state.stage}: it can no longer be changed`);
        if (dispatched()) throw wrongStage(`order ${orderNo} has been dispatched: changes are not possible after dispatch`);
        const open = run.openChange();
        if (open) throw wrongStage(`change ${open.changeId} is still under review; one change at a time`);
        if (state.changes.some((c) => c.changeId === args.changeId)) throw wrongStage(`change ${args.changeId} is already filed`);
        if (!args.reason?.trim()) throw badInput('reason', 'a change needs a reason');
        validateChanges(args.changes, run.policy.paymentTerms);
      },
    },
  );
  setHandler(
    reviewChange,
    async (args): Promise<ChangeResult> => {
      const change = state.changes.find((c) => c.changeId === args.changeId)!;
      await act.recordReview({
        orderId,
        orderNo,
        key: `change:${args.changeId}:${args.department}`,
        stage: 'change_review' as Stage,
        department: args.department,
        decision: args.decision,
        comment: args.comment,
        actor: args.actor,
        at: now(),
      });
      Object.assign(change.reviewers[args.department]!, { decision: args.decision, actor: args.actor, comment: args.comment, at: now() });
      const pending = (Object.keys(change.reviewers) as Department[]).filter((d) => !change.reviewers[d]!.decision);
      // Answer once the change is decided (applied or refused), or at once while others are pending.
      if (args.decision === 'reject' || pending.length === 0) await condition(() => change.status === 'applied' || change.status === 'rejected');
      return { orderNo, changeId: change.changeId, status: change.status, pending };
    },
    {
      validator: (args: ChangeReviewArgs) => {
        const change = state.changes.find((c) => c.changeId === args.changeId);
        if (!change) throw notFound(`change ${args.changeId} is not part of ${orderNo}`);
        if (change.status !== 'under_review') throw wrongStage(`change ${args.changeId} is ${change.status}`);
        const slot = change.reviewers[args.department];
        if (!slot) throw badInput('department', `${args.department} does not review this change (reviewers: ${Object.keys(change.reviewers).join(', ')})`);
        if (slot.decision) throw wrongStage(`${args.department} has already decided on change ${args.changeId}`);
        if (args.decision === 'reject' && !args.comment?.trim()) throw badInput('comment', 'a rejection needs a comment');
        if (args.actor === change.requestedBy) throw forbidden(`${args.actor} filed change ${args.changeId} and cannot decide on it`);
      },
    },
  );

  // --- Cancellation, hold and release ---------------------------------------
  setHandler(
    cancelOrder,
    async (args: ReasonArgs) => {
      run.cancelRequest = args;
      await condition(() => state.stage === 'cancelled' && run.settled);
      return { orderNo, stage: state.stage };
    },
    {
      validator: (args) => {
        if (terminal()) throw wrongStage(`order ${orderNo} is already ${state.stage}`);
        if (dispatched()) throw wrongStage(`order ${orderNo} has been dispatched: it can no longer be cancelled`);
        if (run.cancelRequest) throw wrongStage(`order ${orderNo} is already being cancelled`);
        if (!args.reason?.trim()) throw badInput('reason', 'a cancellation needs a reason');
      },
    },
  );
  setHandler(
    holdOrder,
    async (args: ReasonArgs) => {
      const since = now();
      state.hold = { reason: args.reason, actor: args.actor, since };
      await act.recordHold({ orderId, orderNo, key: `hold:${orderId}:${since}`, action: 'hold', stage: state.stage, reason: args.reason, actor: args.actor, at: since });
      return { orderNo, stage: state.stage };
    },
    {
      validator: (args) => {
        if (terminal()) throw wrongStage(`order ${orderNo} is ${state.stage}`);
        if (state.hold) throw wrongStage(`order ${orderNo} is already on hold (${state.hold.reason})`);
        if (!args.reason?.trim()) throw badInput('reason', 'a hold needs a reason');
      },
    },
  );
  setHandler(
    releaseOrder,
    async (args: ReasonArgs) => {
      const hold = state.hold!;
      const at = now();
      const heldMs = Date.parse(at) - Date.parse(hold.since);
      await act.recordHold({ orderId, orderNo, key: `hold:${orderId}:${hold.since}`, action: 'release', stage: state.stage, reason: args.reason, actor: args.actor, at, heldMs });
      // The clock stood still: held time inside the current stage is not counted against its limit.
      if (Date.parse(hold.since) >= Date.parse(state.stageEnteredAt)) state.heldMs += heldMs;
      else state.heldMs += Date.parse(at) - Date.parse(state.stageEnteredAt);
      state.hold = undefined;
      return { orderNo, stage: state.stage };
    },
    {
      validator: (args) => {
        if (!state.hold) throw wrongStage(`order ${orderNo} is not on hold`);
        if (!args.reason?.trim()) throw badInput('reason', 'a release needs a reason');
      },
    },
  );
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
