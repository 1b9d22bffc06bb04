/**
 * One sales order, from intake to paid (SPEC section 3), as one long-lived
 * workflow. It waits for people's decisions (Updates with validators, so the
 * caller learns at once whether the decision was taken), calls activities
 * for every side effect, and puts a clock on every wait (stage-clock.ts).
 *
 * Shape: handlers are registered first (handlers.ts), then a stage machine
 * runs one stage function at a time; each returns the next stage. Waits throw
 * `Interrupted` when the order is cancelled, must re-plan after a change, has
 * a failure to attend to, or should continue as new; the loop catches it and
 * acts. Every activity is idempotent, so a stage can be re-run from its start
 * (after continue-as-new, or when a person retries it after an exception).
 *
 * Every order ends (SPEC 3a):
 * - one command path: the main flow holds the command lock except while it
 *   waits; handlers and side loops take it for their steps (command-lock.ts);
 * - a step that fails for good moves the order to the `exception` stage (a
 *   named role, a clock, an update to retry or cancel), never fails the
 *   workflow; only a bug in this code fails a workflow task;
 * - side loops end on every way out (cancel, reject, close, continue-as-new).
 *
 * Determinism: no I/O here, time comes from the workflow's clock (the sandbox
 * makes Date deterministic), every side effect is an activity that takes an
 * idempotency key made here from the order id and a counter.
 */
import { condition, continueAsNew, patched } from '@temporalio/workflow';
import { dunningSchedule } from '../domain/billing';
import { parseDuration } from '../domain/duration';
import { requiresJointReview } from '../domain/risk';
import { Interrupted, waitUntil } from './stage-clock';
import { TERMINAL_STAGES, type OrderWorkflowInput, type OrderState, type Stage } from './contract';
import { isStepFailure, OrderRun } from './run';
import { registerHandlers } from './handlers';
import { afterConfirmation, contractSignatureStage } from './contract-signature';

export async function orderWorkflow(input: OrderWorkflowInput): Promise<OrderState> {
  const run = new OrderRun(input);
  // Orders started before the one command path replay with handlers interleaved as they ran then.
  run.lock.enabled = patched('one-command-path');
  registerHandlers(run);
  const { state } = run;

  startSideLoops(run);

  let next: Stage = input.resume ? state.stage : 'sales_review';
  let enter = !input.resume; // a resumed run is already in its stage
  for (;;) {
    try {
      // A cancellation is carried out here (unless its own compensation failed and waits for "retry").
      if (run.cancelRequest && !state.exception) {
        await run.compensateAndCancel();
        break;
      }
      // Rejected and cancelled orders were recorded where they ended (run.stop, compensateAndCancel).
      if (next === 'closed') await closeOrder(run);
      if (TERMINAL_STAGES.includes(next)) break;
      if (enter) await run.transition(next);
      enter = true;
      await run.gate();
      next = await STAGES[next as RunnableStage](run);
    } catch (err) {
      if (err instanceof Interrupted) {
        if (run.exceptionPending()) {
          next = 'exception'; // a side loop's step failed: attend to it first
          continue;
        }
        if (run.cancelRequest) continue;
        if (run.replanTo) {
          // A change after confirmation left something to make or to pay.
          next = run.replanTo;
          run.replanTo = undefined;
          continue;
        }
        if (run.continueAsNewDue()) {
          // Same activation as the check, so no handler can start in between.
          await continueAsNew<typeof orderWorkflow>({ ...input, resume: run.snapshot() });
        }
        // The reason passed before the flow got the command lock back (e.g. continue-as-new was due,
        // then an update arrived): nothing to act on, so the stage starts over (its steps are idempotent).
        next = state.stage;
        enter = false;
        continue;
      }
      // A failure recording the exception stage itself is not a business failure: let Temporal retry the task.
      if (!isStepFailure(err) || (state.stage === 'exception' && !run.settled)) throw err;
      run.noteFailure(err.activityType ?? 'step', err);
      next = 'exception';
      enter = true;
    }
  }
  return run.finish();
}

type RunnableStage = Exclude<Stage, 'closed' | 'rejected' | 'cancelled'>;

/** One function per stage: it does the stage's work and returns the next stage. */
const STAGES: Record<RunnableStage, (run: OrderRun) => Promise<Stage>> = {
  async sales_review(run) {
    await run.act.salesPrechecks({ orderId: run.orderId, priceDeviation: run.policy.priceDeviation });
    await run.assessRisks();
    return run.review('sales_review');
  },

  async correction(run) {
    const done = await run.waitInStage('correction', () => run.corrected);
    run.corrected = false;
    if (!done) return run.stageTimedOut('correction');
    return 'sales_review';
  },

  async finance_review(run) {
    await run.act.financeCheck({ orderId: run.orderId, minMargin: run.policy.minMargin, priceDeviation: run.policy.priceDeviation });
    const next = await run.review('finance_review');
    if (next !== 'confirmation') return next;
    const joint = requiresJointReview({
      totalAmount: run.state.totalAmount,
      threshold: run.policy.jointReviewThreshold,
      special: run.input.special ?? false,
      paymentTerms: run.state.paymentTerms,
      standardTerms: run.policy.standardPaymentTerms,
      riskLevel: run.state.riskLevel as 'low' | 'medium' | 'high',
    });
    run.state.jointReviewReasons = joint.reasons;
    return joint.required ? 'joint_review' : 'confirmation';
  },

  async joint_review(run) {
    return run.jointReview();
  },

  async confirmation(run) {
    const { orderId, orderNo } = run;
    await run.mail.sendCustomerEmail({
      key: `confirmation:${orderId}`,
      orderId,
      template: 'order_confirmation',
      data: { orderNo, total: run.state.totalAmount, currency: run.input.currency },
    });
    for (const role of ['production', 'logistics'] as const) {
      await run.act.notifyRole({
        key: `confirmed:${orderId}:${role}`,
        orderId,
        role,
        subject: `[${orderNo}] confirmed: now in your work queue`,
        text: `Order ${orderNo} (${run.state.totalAmount} ${run.input.currency}) is confirmed and handed to ${role}.`,
      });
    }
    // Prepayment: the invoice goes out at confirmation and shipping waits for the money.
    if (run.term().prepayment) await run.issueInvoice(new Date(Date.now()).toISOString());
    return afterConfirmation(run);
  },

  async contract_signature(run) {
    return contractSignatureStage(run);
  },

  async exception(run) {
    return run.awaitResolution();
  },

  async stock_preparation(run) {
    const { orderId } = run;
    const reservation = await run.act.reserveStock({ orderId });
    const shortfall = reservation.lines.filter((l) => l.shortfall > 0);
    run.state.shortfallLines = shortfall.map((l) => l.lineId);
    if (shortfall.length > 0) {
      const planned = await run.act.scheduleProduction({
        orderId,
        lines: shortfall.map((l) => ({ lineId: l.lineId, quantity: l.shortfall })),
        startAt: run.state.stageEnteredAt,
      });
      for (const p of planned) {
        const known = run.state.production.find((x) => x.productionOrderId === p.productionOrderId);
        if (!known)
          run.state.production.push({
            productionOrderId: p.productionOrderId,
            lineId: p.lineId,
            quantity: p.quantity,
            plannedFinish: p.plannedFinish,
            percent: 0,
            status: 'planned',
          });
      }
    }
    const ended = await run.waitForProduction();
    if (ended) return ended;
    return run.term().prepayment && !run.paidInFull ? 'awaiting_prepayment' : 'shipping';
  },

  async awaiting_prepayment(run) {
    const paid = await run.waitInStage('awaiting_prepayment', () => run.paidInFull);
    if (!paid) return run.stageTimedOut('awaiting_prepayment');
    return 'shipping';
  },

  async shipping(run) {
    const { orderId, orderNo } = run;
    const booking = await run.act.bookCarrier({ orderId, shipDate: run.state.stageEnteredAt });
    run.state.shipment = { carrierCode: booking.carrierCode, trackingNo: booking.trackingNo, eta: booking.eta };
    run.carrierName = booking.carrierName;
    const dispatched = await run.waitInStage('shipping', () => run.dispatchedAt !== undefined);
    if (!dispatched) return run.stageTimedOut('shipping');
    const shipment = run.state.shipment!;
    shipment.dispatchedAt = run.dispatchedAt;
    await run.mail.sendCustomerEmail({
      key: `shipping:${orderId}`,
      orderId,
      template: 'shipping_notice',
      data: { orderNo, carrierName: run.carrierName ?? shipment.carrierCode, trackingNo: shipment.trackingNo, eta: shipment.eta.slice(0, 10), shipDate: run.dispatchedAt!.slice(0, 10) },
    });
    await run.act.notifyRole({
      key: `shipped:${orderId}`,
      orderId,
      role: 'sales',
      subject: `[${orderNo}] shipped with ${run.carrierName ?? shipment.carrierCode}, tracking ${shipment.trackingNo}`,
      text: `Order ${orderNo} left on ${run.dispatchedAt} with ${run.carrierName ?? shipment.carrierCode}. Tracking ${shipment.trackingNo}, ETA ${shipment.eta}.`,
    });
    // Credit terms: the invoice is issued on shipment.
    if (!run.state.invoice) await run.issueInvoice(run.dispatchedAt!);
    return 'in_transit';
  },

  async in_transit(run) {
    const { orderId, orderNo } = run;
    // Late past ETA + grace is an exception: the clock's first step is the late-delivery alert.
    const limitMs = run.inTransitLimitMs(Date.parse(run.state.stageEnteredAt));
    const delivered = await run.waitInStage('in_transit', () => run.deliveredAt !== undefined, limitMs);
    if (!delivered) {
      // The goods are on the road: they can be neither rejected nor cancelled. A person must find them.
      run.state.exception = {
        stage: 'in_transit',
        step: 'delivery',
        message: `delivery of ${run.state.shipment!.trackingNo} was not confirmed by ETA ${run.state.shipment!.eta} + grace, reminder and escalation`,
        at: new Date(Date.now()).toISOString(),
      };
      return 'exception';
    }
    run.state.shipment!.deliveredAt = run.deliveredAt;
    await run.mail.sendCustomerEmail({ key: `delivered:${orderId}`, orderId, template: 'delivery_confirmation', data: { orderNo } });
    return run.paidInFull ? 'closed' : 'awaiting_payment';
  },

  async awaiting_payment(run) {
    // No clock of its own: the dunning ladder (a side loop) is this stage's schedule.
    await waitUntil(() => run.paidInFull, () => run.interrupted(), (fn) => run.wait(fn));
    return 'closed';
  },
};

async function closeOrder(run: OrderRun): Promise<void> {
  run.state.outcome = 'closed: delivered and paid';
  await run.transition('closed', { reason: 'delivered and paid in full' });
  await run.act.computeProfit({ orderId: run.orderId, closedAt: run.state.stageEnteredAt });
}

/**
 * Loops that run beside the stages: the dunning ladder while an invoice is
 * unpaid, the change under review, and the customer's periodic progress
 * update while the order is open. Each takes the command lock for its steps
 * and ends on every way out: the order ended (closed, rejected, cancelled),
 * is being cancelled, or continues as new (the next run starts them again).
 */
function startSideLoops(run: OrderRun): void {
  const open = () => !TERMINAL_STAGES.includes(run.state.stage) && !run.cancelRequest;
  const stopWaiting = () => !open() || run.continueAsNewDue();

  // The dunning ladder: each level's reminder at its offset from the due date, until paid. A change
  // that raises a paid invoice's total reopens it, and the ladder goes on from where it stopped.
  sideLoop(run, 'dunning', stopWaiting, async () => {
    for (;;) {
      await condition(() => (run.state.invoice !== undefined && !run.paidInFull) || stopWaiting());
      if (stopWaiting()) return;
      const invoice = run.state.invoice!;
      const levels = dunningSchedule(invoice.dueDate, run.policy.dunning);
      const firstOverdue = levels.findIndex((l) => Date.parse(l.at) > Date.parse(invoice.dueDate));
      const settled = () => run.paidInFull || run.state.stage === 'cancelled' || run.continueAsNewDue();
      for (let i = run.state.remindersSent; i < levels.length; i++) {
        const level = levels[i];
        const wait = Date.parse(level.at) - Date.now();
        if (wait > 0) await condition(settled, wait, { summary: `dunning: ${level.code} at ${level.at}` });
        if (settled()) break;
        // Catching up (the worker was down, or the due date lies in the past): only the newest
        // level that is due is sent, never the whole ladder at once.
        const next = levels[i + 1];
        if (next && !next.final && Date.parse(next.at) <= Date.now() && patched('dunning-catch-up')) {
          run.state.remindersSent = i + 1;
          continue;
        }
        await run.step(async () => {
          if (i === firstOverdue)
            // Early warning (one per invoice): the payment is overdue.
            await run.act.raiseStageAlert({
              orderId: run.orderId,
              orderNo: run.orderNo,
              key: `${run.orderId}:overdue:${invoice.invoiceId}`,
              stage: run.state.stage,
              level: 'overdue_payment',
              role: 'finance',
              message: `Invoice ${invoice.invoiceNo} was due on ${invoice.dueDate.slice(0, 10)} and is not paid (${invoice.paid} of ${invoice.amount}).`,
            });
          await run.mail.sendDunningReminder({ orderId: run.orderId, invoiceId: invoice.invoiceId, level: level.code, final: level.final });
          run.state.remindersSent = i + 1;
        });
      }
      if (run.state.stage === 'cancelled' || run.continueAsNewDue()) return;
      // Paid (or every level sent): wait until it is paid, then for a reopening.
      await condition(() => run.paidInFull || stopWaiting());
      await condition(() => !run.paidInFull || stopWaiting());
    }
  });

  // Change requests: one at a time, each reviewed on its own clocks, then applied or refused.
  sideLoop(run, 'change review', stopWaiting, async () => {
    for (;;) {
      await condition(() => run.openChange() !== undefined || stopWaiting());
      const change = run.openChange();
      if (!change || stopWaiting()) return;
      await run.reviewAndApplyChange(change);
    }
  });

  // Progress updates while the order is open (SPEC 3.8). A progress mail that cannot be queued is
  // skipped, never a reason to stop the order.
  sideLoop(run, 'progress update', stopWaiting, async () => {
    const every = parseDuration(run.policy.progressUpdateInterval);
    for (;;) {
      if (await condition(stopWaiting, every, { summary: `progress update every ${run.policy.progressUpdateInterval}` })) return;
      if (run.state.hold) continue; // a held order has no progress to report
      const n = run.state.progressUpdatesSent + 1;
      await run.step(async () => {
        try {
          await run.mail.sendCustomerEmail({
            key: `progress:${run.orderId}:${n}`,
            orderId: run.orderId,
            template: 'progress_update',
            data: { orderNo: run.orderNo, stage: run.state.stage },
          });
        } catch (err) {
          if (!isStepFailure(err)) throw err;
        }
        run.state.progressUpdatesSent = n;
      });
    }
  });
}

/**
 * Runs a side loop so that it can never fail the workflow for a business
 * reason: Interrupted ends it; a step that fails for good opens an exception
 * (the main flow moves the order there) and the loop starts again once a
 * person has resolved it (its steps are idempotent). Anything else is a bug
 * and fails the workflow task, to be fixed by a deployment.
 */
function sideLoop(run: OrderRun, name: string, stopWaiting: () => boolean, body: () => Promise<void>): void {
  void (async () => {
    for (;;) {
      try {
        await body();
        return;
      } catch (err) {
        if (err instanceof Interrupted) return;
        if (!isStepFailure(err)) throw err;
        run.noteFailure(name, err);
        await condition(() => run.state.exception === undefined || stopWaiting());
        if (stopWaiting()) return;
      }
    }
  })();
}
