/**
 * The order workflow's activities: every side effect against PostgreSQL,
 * the email outbox and carriers. The workflow imports the type only:
 * `proxyActivities<ReturnType<typeof createActivities>>`, so the names and
 * argument shapes below are the contract (docs/ARCHITECTURE.md "Activities").
 *
 * Every activity is idempotent under Temporal's retries: each write lands on
 * a row with a unique key, emails go through the outbox, and every state
 * change appends one audit entry keyed the same way.
 */
import type { PrismaClient } from '../generated/prisma/client';
import type { CarrierAdapter } from './carriers/adapter';
import type { Policy } from '../workflows/domain/policy';
import type { CompanyProfile } from './documents/company';
import { recordReview, recordStageDeadline, recordTransition, raiseStageAlert } from './read-model';
import { financeCheck, salesPrechecks } from './checks';
import { reserveStock } from './inventory';
import { completeProduction, reportProductionProgress, scheduleProduction } from './production';
import { bookCarrier, confirmDelivery, confirmDispatch } from './shipping';
import { issueInvoice, recordPayment, sendDunningReminder } from './billing';
import { notifyRole, sendCustomerEmail } from './email/notify';
import { adjustPlan, applyOrderChanges, fileChangeRequest, rebookCarrier, updateChangeRequest, updateInvoiceAmount } from './changes';
import { cancelProductionOrders, cancelShipment, releaseReservations, voidInvoice } from './compensation';
import { recordHold } from './holds';
import { computeProfit } from './profit';
import { assessRisks } from './risk';
import { archiveKpis, computeKpis } from './kpi';
import { contractStatus } from './documents/signature';
import { sqlOf } from './infra/db';

export interface ActivityDeps {
  prisma: PrismaClient;
  /**
   * The outbox queue the activities' mails go to (MAIL_QUEUE, default
   * 'default'): activities only queue mail, the dispatcher of that queue sends
   * it (activities/email/dispatcher.ts).
   */
  mailQueue?: string;
  carriers: CarrierAdapter;
  /**
   * The process's current policy, for reference data that is not frozen per
   * order (the exchange rates of credit exposure); default DEFAULT_POLICY.
   */
  policy?: Pick<Policy, 'exchangeRates'>;
  /** The company on the documents (COMPANY_FILE); DEFAULT_COMPANY when absent. */
  company?: CompanyProfile;
  /** The console's base URL (PUBLIC_URL): staff mails about an order link to its page; no link when absent. */
  publicUrl?: string;
}

export type { CarrierAdapter } from './carriers/adapter';
export type { FinanceCheck } from './checks';
export { builtinCarrierAdapter } from './carriers/builtin';

type Args<F> = F extends (deps: ActivityDeps, a: infer A) => unknown ? A : never;

export function createActivities(deps: ActivityDeps) {
  return {
    recordTransition: (a: Args<typeof recordTransition>) => recordTransition(deps, a),
    raiseStageAlert: (a: Args<typeof raiseStageAlert>) => raiseStageAlert(deps, a),
    recordStageDeadline: (a: Args<typeof recordStageDeadline>) => recordStageDeadline(deps, a),
    salesPrechecks: (a: Args<typeof salesPrechecks>) => salesPrechecks(deps, a),
    financeCheck: (a: Args<typeof financeCheck>) => financeCheck(deps, a),
    recordReview: (a: Args<typeof recordReview>) => recordReview(deps, a),
    sendCustomerEmail: (a: Args<typeof sendCustomerEmail>) => sendCustomerEmail(deps, a),
    reserveStock: (a: Args<typeof reserveStock>) => reserveStock(deps, a),
    scheduleProduction: (a: Args<typeof scheduleProduction>) => scheduleProduction(deps, a),
    reportProductionProgress: (a: Args<typeof reportProductionProgress>) => reportProductionProgress(deps, a),
    completeProduction: (a: Args<typeof completeProduction>) => completeProduction(deps, a),
    bookCarrier: (a: Args<typeof bookCarrier>) => bookCarrier(deps, a),
    confirmDispatch: (a: Args<typeof confirmDispatch>) => confirmDispatch(deps, a),
    confirmDelivery: (a: Args<typeof confirmDelivery>) => confirmDelivery(deps, a),
    issueInvoice: (a: Args<typeof issueInvoice>) => issueInvoice(deps, a),
    recordPayment: (a: Args<typeof recordPayment>) => recordPayment(deps, a),
    sendDunningReminder: (a: Args<typeof sendDunningReminder>) => sendDunningReminder(deps, a),
    notifyRole: (a: Args<typeof notifyRole>) => notifyRole(deps, a),
    applyOrderChanges: (a: Args<typeof applyOrderChanges>) => applyOrderChanges(deps, a),
    fileChangeRequest: (a: Args<typeof fileChangeRequest>) => fileChangeRequest(deps, a),
    updateChangeRequest: (a: Args<typeof updateChangeRequest>) => updateChangeRequest(deps, a),
    adjustPlan: (a: Args<typeof adjustPlan>) => adjustPlan(deps, a),
    rebookCarrier: (a: Args<typeof rebookCarrier>) => rebookCarrier(deps, a),
    updateInvoiceAmount: (a: Args<typeof updateInvoiceAmount>) => updateInvoiceAmount(deps, a),
    releaseReservations: (a: Args<typeof releaseReservations>) => releaseReservations(deps, a),
    cancelProductionOrders: (a: Args<typeof cancelProductionOrders>) => cancelProductionOrders(deps, a),
    cancelShipment: (a: Args<typeof cancelShipment>) => cancelShipment(deps, a),
    voidInvoice: (a: Args<typeof voidInvoice>) => voidInvoice(deps, a),
    recordHold: (a: Args<typeof recordHold>) => recordHold(deps, a),
    computeProfit: (a: Args<typeof computeProfit>) => computeProfit(deps, a),
    assessRisks: (a: Args<typeof assessRisks>) => assessRisks(deps, a),
    computeKpis: (a: Args<typeof computeKpis>) => computeKpis(deps, a),
    archiveKpis: (a: Args<typeof archiveKpis>) => archiveKpis(deps, a),
    /** The contract signature step's status (read-only). */
    contractSignatureStatus: (a: { orderId: string }) => contractStatus(sqlOf(deps.prisma), a.orderId),
  };
}

export type Activities = ReturnType<typeof createActivities>;
