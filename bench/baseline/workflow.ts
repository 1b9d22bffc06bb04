/**
 * The baseline, "today's shape": the yardstick of issue 13, kept fixed while
 * the order workflow changes. It is the order's happy path as it was before
 * that issue (29 activities, 5 updates); do not change its shape, or the
 * ratios of one bench run stop being comparable with another's.
 *
 * A bare workflow with the same activities (no-ops, in the same
 * order) and the same updates as one order's happy path, on its own task
 * queue. What the order system adds on top of Temporal is everything the real
 * order does beyond this: database and email in the activities, timers of the
 * stage clocks, search attributes, side loops, the API's validation and lookups.
 *
 * Happy path of the order (workflows/order/workflow.ts, NET_30, in stock, no
 * joint review), mirrored step by step:
 *
 *   main flow                                          updates (handler activities)
 *   transition(sales_review), salesPrechecks, assessRisks
 *                                                      salesReview: recordReview; waits for the stage to change
 *   transition(finance_review), financeCheck
 *                                                      financeReview: financeCheck, recordReview; waits
 *   transition(confirmation), email, notifyRole x2
 *   transition(stock_preparation), reserveStock
 *   transition(shipping), bookCarrier
 *                                                      confirmDispatch: confirmDispatch; waits
 *   email, notifyRole, issueInvoice, email
 *   transition(in_transit)
 *                                                      confirmDelivery: confirmDelivery; waits
 *   email, transition(awaiting_payment)
 *                                                      recordPayment: recordPayment, email
 *   transition(closed), computeProfit
 *
 * 22 activities in the main flow, 7 in handlers, 5 updates.
 */
import { ApplicationFailure, allHandlersFinished, condition, defineUpdate, proxyActivities, setHandler } from '@temporalio/workflow';
import type * as activities from './activities';

// The same options as the order's activities (workflows/order/run.ts).
const act = proxyActivities<typeof activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
});

export interface BareInput {
  orderId: string;
}
export interface BareResult {
  orderNo: string;
  stage: string;
}
export interface BareCommand {
  actor: string;
  decision?: string;
  amount?: string;
  reference?: string;
}

export const bareSalesReview = defineUpdate<BareResult, [BareCommand]>('salesReview');
export const bareFinanceReview = defineUpdate<BareResult, [BareCommand]>('financeReview');
export const bareConfirmDispatch = defineUpdate<BareResult, [BareCommand]>('confirmDispatch');
export const bareConfirmDelivery = defineUpdate<BareResult, [BareCommand]>('confirmDelivery');
export const bareRecordPayment = defineUpdate<{ paidInFull: boolean }, [BareCommand]>('recordPayment');

const wrongStage = (message: string) => ApplicationFailure.create({ message, type: 'WrongStage', nonRetryable: true });

export async function bareOrderWorkflow(input: BareInput): Promise<BareResult> {
  const orderId = input.orderId;
  const a = { orderId };
  let stage = 'sales_review';
  let pendingDecision: string | undefined;
  let decisionInFlight = false;
  let booked = false;
  let dispatched = false;
  let delivered = false;
  let invoiced = false;
  let paid = false;

  // As the order's transition (workflows/order/run.ts): an update waiting for
  // the stage to change returns once the move is recorded, not before.
  let settled = true;
  const transition = async (to: string) => {
    stage = to;
    settled = false;
    await act.recordTransition({ orderId, step: to });
    settled = true;
  };
  const movedOn = (from: string) => stage !== from && settled;

  const review = (which: 'sales_review' | 'finance_review') => ({
    validator(_c: BareCommand) {
      if (stage !== which) throw wrongStage(`in ${stage}, not ${which}`);
      if (decisionInFlight || pendingDecision) throw wrongStage('a decision is already being recorded');
    },
    async handler(_c: BareCommand): Promise<BareResult> {
      decisionInFlight = true;
      try {
        if (which === 'finance_review') await act.financeCheck(a);
        await act.recordReview(a);
        pendingDecision = which;
      } finally {
        decisionInFlight = false;
      }
      await condition(() => movedOn(which));
      return { orderNo: orderId, stage };
    },
  });
  const sales = review('sales_review');
  setHandler(bareSalesReview, sales.handler, { validator: sales.validator });
  const finance = review('finance_review');
  setHandler(bareFinanceReview, finance.handler, { validator: finance.validator });

  setHandler(
    bareConfirmDispatch,
    async (_c: BareCommand): Promise<BareResult> => {
      await act.confirmDispatch(a);
      dispatched = true;
      await condition(() => movedOn('shipping'));
      return { orderNo: orderId, stage };
    },
    {
      validator: (_c: BareCommand) => {
        if (stage !== 'shipping' || !booked) throw wrongStage(`in ${stage}: nothing is booked to dispatch`);
        if (dispatched) throw wrongStage('already dispatched');
      },
    },
  );
  setHandler(
    bareConfirmDelivery,
    async (_c: BareCommand): Promise<BareResult> => {
      await act.confirmDelivery(a);
      delivered = true;
      await condition(() => movedOn('in_transit'));
      return { orderNo: orderId, stage };
    },
    {
      validator: (_c: BareCommand) => {
        if (stage !== 'in_transit') throw wrongStage(`in ${stage}, not in_transit`);
        if (delivered) throw wrongStage('already delivered');
      },
    },
  );
  setHandler(
    bareRecordPayment,
    async (_c: BareCommand): Promise<{ paidInFull: boolean }> => {
      await act.recordPayment(a);
      paid = true;
      await act.sendCustomerEmail(a);
      return { paidInFull: true };
    },
    {
      validator: (_c: BareCommand) => {
        if (!invoiced) throw wrongStage('no open invoice');
        if (paid) throw wrongStage('already paid');
      },
    },
  );

  const decided = async (which: string) => {
    await condition(() => pendingDecision === which);
    pendingDecision = undefined;
  };

  await transition('sales_review');
  await act.salesPrechecks(a);
  await act.assessRisks(a);
  await decided('sales_review');

  await transition('finance_review');
  await act.financeCheck(a);
  await decided('finance_review');

  await transition('confirmation');
  await act.sendCustomerEmail(a);
  await act.notifyRole(a);
  await act.notifyRole(a);

  await transition('stock_preparation');
  await act.reserveStock(a);

  await transition('shipping');
  await act.bookCarrier(a);
  booked = true;
  await condition(() => dispatched);
  await act.sendCustomerEmail(a);
  await act.notifyRole(a);
  await act.issueInvoice(a);
  invoiced = true;
  await act.sendCustomerEmail(a);

  await transition('in_transit');
  await condition(() => delivered);
  await act.sendCustomerEmail(a);

  if (!paid) {
    await transition('awaiting_payment');
    await condition(() => paid);
  }
  await transition('closed');
  await act.computeProfit(a);
  await condition(allHandlersFinished);
  return { orderNo: orderId, stage };
}
