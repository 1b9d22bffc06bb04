/**
 * The baseline's activities: no-ops named after the order's activities, so
 * the bare workflow schedules the same number of activities in the same order
 * (no database, no email, no carrier).
 */
export interface BareArgs {
  orderId: string;
  step?: string;
}

const noop = async (_a: BareArgs): Promise<void> => undefined;

export const recordTransition = noop;
export const salesPrechecks = noop;
export const assessRisks = noop;
export const recordReview = noop;
export const financeCheck = noop;
export const sendCustomerEmail = noop;
export const notifyRole = noop;
export const reserveStock = noop;
export const bookCarrier = noop;
export const confirmDispatch = noop;
export const issueInvoice = noop;
export const confirmDelivery = noop;
export const recordPayment = noop;
export const computeProfit = noop;
