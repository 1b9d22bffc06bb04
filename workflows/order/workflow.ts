/**
 * One sales order, from intake to paid (SPEC section 3), as one long-lived
 * workflow. It waits for people's decisions (Updates with validators, so the
 * caller learns at once whether the decision was taken), calls activities
 * for every side effect, and puts a clock on every wait (stage-clock.ts).
 *
 * Determinism: no I/O here, time comes from the workflow's clock (the sandbox
 * makes Date deterministic), every side effect is an activity that takes an
 * idempotency key made here from the order id and a counter.
 */
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { createActivities } from '../../activities';
import { parseDuration } from '../domain/duration';
import { dueDate, dunningSchedule, outstanding } from '../domain/billing';
import { money } from '../domain/money';
import type { TimedStage } from '../domain/policy';
import { clockSteps, waitWithClock, type ClockStep } from './stage-clock';
import {
  FAILURE,
  SA,
  confirmDelivery,
  confirmDispatch,
  financeReview,
  getState,
  productionComplete,
  productionProgress,
  recordPayment,
  salesReview,
  type DecisionRecord,
  type LogisticsConfirmArgs,
  type OrderState,
  type OrderWorkflowInput,
  type ReviewArgs,
  type Stage,
  type StageResult,
} from './contract';

type Activities = ReturnType<typeof createActivities>;

const NON_RETRYABLE = [FAILURE.badInput, FAILURE.notFound, FAILURE.wrongStage];

const act = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', nonRetryableErrorTypes: NON_RETRYABLE },
});

/** Email goes through the outbox; SMTP can be down for a while, so retry for longer. */
const mail = proxyActivities<Activities>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '10m', nonRetryableErrorTypes: NON_RETRYABLE },
});

const wrongStage = (message: string) => ApplicationFailure.create({ message, type: FAILURE.wrongStage, nonRetryable: true });
const badInput = (field: string, message: string) =>
  ApplicationFailure.create({ message, type: FAILURE.badInput, nonRetryable: true, details: [field] });

export async function orderWorkflow(input: OrderWorkflowInput): Promise<OrderState> {
  const { policy, orderId, orderNo } = input;
  const now = () => new Date(Date.now()).toISOString();

  const state: OrderState = {
    orderNo,
    stage: 'sales_review',
    stageEnteredAt: now(),
    escalation: 'none',
    decisions: [],
    shortfallLines: [],
    production: [],
    remindersSent: 0,
  };
  let seq = 0;
  let pendingDecision: { stage: Stage; args: ReviewArgs } | undefined;
  let decisionInFlight = false;
  let dispatchedAt: string | undefined;
  let deliveredAt: string | undefined;
  let paidInFull = false;

  // -------------------------------------------------------------------------
  // Handlers first, so nothing sent before the flow reaches a wait is lost.
  // -------------------------------------------------------------------------
  setHandler(getState, () => state);

  const reviewHandler = (stage: Stage) => ({
    validator(args: ReviewArgs) {
      if (state.stage !== stage) throw wrongStage(`order ${orderNo} is in ${state.stage}, not ${stage}`);
      if (decisionInFlight || pendingDecision) throw wrongStage(`a ${stage} decision for ${orderNo} is already being recorded`);
      if (args.decision === 'return') throw badInput('decision', 'return for correction is not available for this order');
      if (args.decision === 'reject' && !args.comment?.trim()) throw badInput('comment', 'a rejection needs a reason');
    },
    async handler(args: ReviewArgs): Promise<StageResult> {
      if (decisionInFlight || pendingDecision) throw wrongStage(`a ${stage} decision for ${orderNo} is already being recorded`);
      decisionInFlight = true;
      try {
        if (stage === 'finance_review' && args.decision === 'approve') await refuseUnlessCreditOk();
        const at = now();
        const key = `${stage}:${seq}`;
        await act.recordReview({ orderId, orderNo, key, stage, decision: args.decision, comment: args.comment, actor: args.actor, at });
        const record: DecisionRecord = { stage, decision: args.decision, comment: args.comment ?? '', actor: args.actor, at };
        state.decisions.push(record);
        pendingDecision = { stage, args };
      } finally {
        decisionInFlight = false;
      }
      // Answer with where the order went, once the flow has moved it.
      await condition(() => state.stage !== stage);
      return { orderNo, stage: state.stage };
    },
  });
  const sales = reviewHandler('sales_review');
  setHandler(salesReview, sales.handler, { validator: sales.validator });
  const finance = reviewHandler('finance_review');
  setHandler(financeReview, finance.handler, { validator: finance.validator });

  /** SPEC: a customer on credit hold, or over the credit limit, cannot pass finance review. */
  async function refuseUnlessCreditOk(): Promise<void> {
    const check = await act.financeCheck({ orderId, minMargin: policy.minMargin, priceDeviation: policy.priceDeviation });
    if (check.credit.creditHold) throw wrongStage(`customer is on credit hold: order ${orderNo} cannot pass finance review`);
    if (!check.credit.withinLimit)
      throw wrongStage(
        `credit exposure ${check.credit.exposure} exceeds the limit (available ${check.credit.available}): order ${orderNo} cannot be approved`,
      );
  }

  const findProduction = (id: string) => {
    const p = state.production.find((x) => x.productionOrderId === id);
    if (!p) throw ApplicationFailure.create({ message: `production order ${id} is not part of ${orderNo}`, type: FAILURE.notFound, nonRetryable: true });
    if (state.stage !== 'stock_preparation') throw wrongStage(`order ${orderNo} is in ${state.stage}, not stock_preparation`);
    if (p.status === 'completed') throw wrongStage(`production order ${id} is already completed`);
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
        // Failed quality check: rework with a new finish date.
        p.status = 'in_progress';
        p.plannedFinish = result.plannedFinish;
      }
      return { orderNo, stage: state.stage };
    },
    { validator: (args) => void findProduction(args.productionOrderId) },
  );

  setHandler(
    confirmDispatch,
    async (args) => {
      const at = args.at ?? now();
      await act.confirmDispatch({ orderId, at, actor: args.actor });
      dispatchedAt = at;
      await condition(() => state.stage !== 'shipping');
      return { orderNo, stage: state.stage };
    },
    {
      validator: (_args: LogisticsConfirmArgs) => {
        if (state.stage !== 'shipping' || !state.shipment) throw wrongStage(`order ${orderNo} is in ${state.stage}: nothing is booked to dispatch`);
        if (dispatchedAt) throw wrongStage(`order ${orderNo} is already dispatched`);
      },
    },
  );
  setHandler(
    confirmDelivery,
    async (args) => {
      const at = args.at ?? now();
      await act.confirmDelivery({ orderId, at, actor: args.actor });
      deliveredAt = at;
      await condition(() => state.stage !== 'in_transit');
      return { orderNo, stage: state.stage };
    },
    {
      validator: (_args: LogisticsConfirmArgs) => {
        if (state.stage !== 'in_transit') throw wrongStage(`order ${orderNo} is in ${state.stage}, not in_transit`);
        if (deliveredAt) throw wrongStage(`order ${orderNo} is already delivered`);
      },
    },
  );
  setHandler(
    recordPayment,
    async (args) => {
      const inv = state.invoice!;
      const result = await act.recordPayment({ orderId, ...args });
      inv.paid = result.paid;
      if (result.paidInFull) paidInFull = true;
      await mail.sendCustomerEmail({
        key: `payment:${result.paymentId}`,
        orderId,
        template: 'payment_received',
        data: { orderNo, invoiceNo: inv.invoiceNo, amount: args.amount, paid: result.paid, outstanding: result.outstanding, currency: input.currency },
      });
      return { paymentId: result.paymentId, outstanding: result.outstanding, paidInFull: result.paidInFull };
    },
    {
      validator: (args) => {
        const inv = state.invoice;
        if (!inv) throw wrongStage(`order ${orderNo} has no invoice yet`);
        if (paidInFull) throw wrongStage(`invoice ${inv.invoiceNo} is already paid in full`);
        if (!/^\d{1,12}(\.\d{1,2})?$/.test(args.amount) || money(args.amount).lte(0)) throw badInput('amount', 'amount must be a positive decimal');
        if (money(args.amount).gt(outstanding(inv.amount, inv.paid)))
          throw badInput('amount', `amount ${args.amount} exceeds the outstanding ${outstanding(inv.amount, inv.paid)}`);
      },
    },
  );

  // -------------------------------------------------------------------------
  // Helpers for the flow
  // -------------------------------------------------------------------------

  /** The one place a stage changes: state, search attributes and read model together. */
  async function transition(to: Stage, opts: { reason?: string; actor?: string; limitMs?: number } = {}): Promise<void> {
    const from = seq === 0 ? null : state.stage;
    seq += 1;
    state.stage = to;
    state.stageEnteredAt = now();
    state.escalation = 'none';
    state.stageDeadline = opts.limitMs === undefined ? undefined : new Date(Date.now() + opts.limitMs).toISOString();
    upsertSearchAttributes([{ key: SA.stage, value: to }]);
    await act.recordTransition({
      orderId,
      orderNo,
      seq,
      from,
      to,
      at: state.stageEnteredAt,
      reason: opts.reason,
      actor: opts.actor,
      deadline: state.stageDeadline ?? null,
    });
  }

  const stageLimitMs = (stage: TimedStage) => parseDuration(policy.stages[stage].limit);

  /** Waits in a timed stage; the clock's steps remind, escalate, and finally report a timeout. */
  async function waitInStage(stage: TimedStage, done: () => boolean, limitMs?: number): Promise<boolean> {
    const stagePolicy = policy.stages[stage];
    const onStep = async (step: ClockStep) => {
      if (step.level !== 'timed_out') state.escalation = step.level;
      const detail =
        step.level === 'reminded'
          ? `The ${stage} time limit has passed; the order is waiting for ${stagePolicy.assignee}.`
          : step.level === 'escalated'
            ? `Escalated: ${stage} is overdue and still waiting for ${stagePolicy.assignee}.`
            : `Timed out: ${stage} ran out of time; timeout action "${stagePolicy.timeoutAction}".`;
      await act.raiseStageAlert({ orderId, orderNo, key: `${orderId}:${seq}:${step.level}`, stage, level: step.level, role: step.role, message: detail });
    };
    const finished = await waitWithClock({ stage, steps: clockSteps(stagePolicy, limitMs), done, held: () => false, onStep });
    if (finished) return true;
    if (stagePolicy.timeoutAction === 'keep_waiting') {
      await condition(done);
      return true;
    }
    return false;
  }

  /** Ends the order without doing the work, e.g. a review timed out. */
  async function stop(to: 'rejected' | 'cancelled', reason: string, actor?: string): Promise<OrderState> {
    await transition(to, { reason, actor });
    state.outcome = `${to}: ${reason}`;
    await mail.sendCustomerEmail({
      key: `${to}:${orderId}`,
      orderId,
      template: to === 'rejected' ? 'order_rejected' : 'order_cancelled',
      data: { orderNo, reason },
    });
    return finish();
  }

  async function finish(): Promise<OrderState> {
    await condition(allHandlersFinished);
    return state;
  }

  /** A review stage: wait for the decision (or the clock), then approve, reject or time out. */
  async function review(stage: 'sales_review' | 'finance_review'): Promise<'approved' | OrderState> {
    pendingDecision = undefined;
    const decided = await waitInStage(stage, () => pendingDecision !== undefined);
    if (!decided) {
      const action = policy.stages[stage].timeoutAction;
      return stop(action === 'cancel' ? 'cancelled' : 'rejected', `${stage} timed out`);
    }
    const { args } = pendingDecision!;
    if (args.decision === 'reject') return stop('rejected', args.comment ?? `${stage} rejected`, args.actor);
    return 'approved';
  }

  // -------------------------------------------------------------------------
  // The flow
  // -------------------------------------------------------------------------

  // 2. Sales review, with the automatic pre-checks shown beside the task.
  await transition('sales_review', { limitMs: stageLimitMs('sales_review') });
  await act.salesPrechecks({ orderId, priceDeviation: policy.priceDeviation });
  const salesOutcome = await review('sales_review');
  if (salesOutcome !== 'approved') return salesOutcome;

  // 3. Finance review: price, margin, terms and credit exposure.
  await transition('finance_review', { actor: pendingDecision!.args.actor, limitMs: stageLimitMs('finance_review') });
  await act.financeCheck({ orderId, minMargin: policy.minMargin, priceDeviation: policy.priceDeviation });
  const financeOutcome = await review('finance_review');
  if (financeOutcome !== 'approved') return financeOutcome;

  // 5. Entry and confirmation.
  await transition('confirmation', { actor: pendingDecision!.args.actor });
  await mail.sendCustomerEmail({
    key: `confirmation:${orderId}`,
    orderId,
    template: 'order_confirmation',
    data: { orderNo, total: input.totalAmount, currency: input.currency },
  });

  // 6. Stock preparation: reserve what is in stock, make the shortfall.
  await transition('stock_preparation', { limitMs: stageLimitMs('stock_preparation') });
  const reservation = await act.reserveStock({ orderId });
  const shortfall = reservation.lines.filter((l) => l.shortfall > 0);
  state.shortfallLines = shortfall.map((l) => l.lineId);
  if (shortfall.length > 0) {
    const planned = await act.scheduleProduction({
      orderId,
      lines: shortfall.map((l) => ({ lineId: l.lineId, quantity: l.shortfall })),
      startAt: now(),
    });
    state.production = planned.map((p) => ({
      productionOrderId: p.productionOrderId,
      lineId: p.lineId,
      quantity: p.quantity,
      plannedFinish: p.plannedFinish,
      percent: 0,
      status: 'planned',
    }));
    // The stage's limit is the production plan: the latest planned finish plus the grace period.
    const latestFinish = Math.max(...planned.map((p) => Date.parse(p.plannedFinish)));
    const limitMs = latestFinish + parseDuration(policy.productionGrace) - Date.now();
    state.stageDeadline = new Date(Date.now() + limitMs).toISOString();
    await waitInStage('stock_preparation', () => state.production.every((p) => p.status === 'completed'), limitMs);
  }

  // 7. Shipping: choose and book a carrier, wait for logistics to dispatch.
  await transition('shipping', { limitMs: stageLimitMs('shipping') });
  const booking = await act.bookCarrier({ orderId, shipDate: now() });
  state.shipment = { carrierCode: booking.carrierCode, trackingNo: booking.trackingNo, eta: booking.eta };
  const dispatched = await waitInStage('shipping', () => dispatchedAt !== undefined);
  if (!dispatched) return stop('cancelled', 'shipping timed out before dispatch');
  state.shipment.dispatchedAt = dispatchedAt;
  await mail.sendCustomerEmail({
    key: `shipping:${orderId}`,
    orderId,
    template: 'shipping_notice',
    data: { orderNo, carrierName: booking.carrierName, trackingNo: booking.trackingNo, eta: booking.eta.slice(0, 10), shipDate: dispatchedAt!.slice(0, 10) },
  });
  await act.notifyRole({
    key: `shipped:${orderId}`,
    orderId,
    role: 'sales',
    subject: `[${orderNo}] shipped with ${booking.carrierName}, tracking ${booking.trackingNo}`,
    text: `Order ${orderNo} left on ${dispatchedAt} with ${booking.carrierName}. Tracking ${booking.trackingNo}, ETA ${booking.eta}.`,
  });

  // 9. Settlement starts at shipment for credit terms: invoice now, dun until paid.
  const term = policy.paymentTerms[input.paymentTerms];
  const invoice = await act.issueInvoice({ orderId, issuedAt: dispatchedAt!, dueDate: dueDate(dispatchedAt!, term) });
  state.invoice = { invoiceId: invoice.invoiceId, invoiceNo: invoice.invoiceNo, amount: invoice.amount, paid: '0.00', dueDate: invoice.dueDate };
  await mail.sendCustomerEmail({
    key: `invoice:${invoice.invoiceId}`,
    orderId,
    template: 'invoice_issued',
    data: { orderNo, invoiceNo: invoice.invoiceNo, amount: invoice.amount, currency: input.currency, dueDate: invoice.dueDate.slice(0, 10) },
  });
  const settlement = dun(invoice.invoiceId, invoice.dueDate);

  // 7 (cont.). In transit until delivery is confirmed; late past ETA + grace raises the alarm.
  const transitLimitMs = Date.parse(booking.eta) + parseDuration(policy.deliveryGrace) - Date.now();
  await transition('in_transit', { limitMs: transitLimitMs });
  await waitInStage('in_transit', () => deliveredAt !== undefined, transitLimitMs);
  state.shipment.deliveredAt = deliveredAt;
  await mail.sendCustomerEmail({ key: `delivered:${orderId}`, orderId, template: 'delivery_confirmation', data: { orderNo } });

  if (!paidInFull) {
    await transition('awaiting_payment', { limitMs: Math.max(0, Date.parse(invoice.dueDate) - Date.now()) });
  }
  await settlement;

  await transition('closed', { reason: 'paid in full' });
  state.outcome = 'closed: delivered and paid';
  return finish();

  /**
   * The dunning ladder: each level's reminder at its offset from the due date,
   * until the invoice is paid. Runs beside delivery, since payment can come first.
   */
  async function dun(invoiceId: string, due: string): Promise<void> {
    for (const level of dunningSchedule(due, policy.dunning)) {
      const wait = Date.parse(level.at) - Date.now();
      if (wait > 0) await condition(() => paidInFull, wait, { summary: `dunning: ${level.code} at ${level.at}` });
      if (paidInFull) return;
      await mail.sendDunningReminder({ orderId, invoiceId, level: level.code, final: level.final });
      state.remindersSent += 1;
    }
    await condition(() => paidInFull);
  }
}
