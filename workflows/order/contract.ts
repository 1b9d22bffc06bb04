/**
 * The order workflow's public contract: task queue, workflow ids, stages,
 * messages (updates, signals, queries) and the shapes they carry.
 *
 * The workflow body and the API both import this module and nothing else of
 * each other, so a message is defined exactly once. Keep it free of I/O and
 * Node built-ins: it is bundled into the workflow sandbox.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { Policy } from '../domain/policy';

export const TASK_QUEUE = 'sales-orders';

/** Workflow ids come from the business key, so a second start of the same order is refused by Temporal. */
export const orderWorkflowId = (orderNo: string): string => `order-${orderNo}`;
export const orderNoFromWorkflowId = (workflowId: string): string | undefined =>
  workflowId.startsWith('order-') ? workflowId.slice('order-'.length) : undefined;

/** The stages of SPEC section 3, in order, then the terminal ones. */
export const STAGES = [
  'sales_review',
  'finance_review',
  'joint_review',
  'confirmation',
  'stock_preparation',
  'shipping',
  'in_transit',
  'awaiting_payment',
  'closed',
  'rejected',
  'cancelled',
] as const;
export type Stage = (typeof STAGES)[number];
export const TERMINAL_STAGES: readonly Stage[] = ['closed', 'rejected', 'cancelled'];

/** Custom search attributes the dev server registers at start (scripts/temporal.sh) and the workflow keeps current. */
export const SA = {
  orderNo: defineSearchAttributeKey('OrderNo', SearchAttributeType.KEYWORD),
  stage: defineSearchAttributeKey('OrderStage', SearchAttributeType.KEYWORD),
  customerId: defineSearchAttributeKey('CustomerId', SearchAttributeType.KEYWORD),
  riskLevel: defineSearchAttributeKey('RiskLevel', SearchAttributeType.KEYWORD),
  amount: defineSearchAttributeKey('OrderAmount', SearchAttributeType.DOUBLE),
} as const;

// ---------------------------------------------------------------------------
// Workflow input and live state
// ---------------------------------------------------------------------------

export interface OrderLineInput {
  lineId: string;
  productId: string;
  sku: string;
  quantity: number;
  /** Decimal strings: money never travels as a float. */
  unitPrice: string;
  taxRate: string;
}

export interface OrderWorkflowInput {
  orderId: string;
  orderNo: string;
  customerId: string;
  currency: string;
  /** Total including tax, decimal string. */
  totalAmount: string;
  paymentTerms: string;
  requestedDeliveryDate: string; // ISO date
  enteredBy: string;
  lines: OrderLineInput[];
  /** Policy snapshot taken at intake: a running order keeps the rules it started with. */
  policy: Policy;
}

export type ReviewDecision = 'approve' | 'reject' | 'return';

export interface DecisionRecord {
  stage: Stage;
  decision: ReviewDecision;
  comment: string;
  actor: string;
  at: string;
}

export interface ProductionState {
  productionOrderId: string;
  lineId: string;
  quantity: number;
  plannedFinish: string;
  percent: number;
  status: 'planned' | 'in_progress' | 'completed';
}

export interface ShipmentState {
  carrierCode: string;
  trackingNo: string;
  eta: string;
  dispatchedAt?: string;
  deliveredAt?: string;
}

export interface InvoiceState {
  invoiceId: string;
  invoiceNo: string;
  amount: string;
  paid: string;
  dueDate: string;
}

export interface OrderState {
  orderNo: string;
  stage: Stage;
  stageEnteredAt: string;
  /** Escalation step reached in the current stage: none, reminded the assignee, alerted the manager. */
  escalation: 'none' | 'reminded' | 'escalated';
  stageDeadline?: string;
  decisions: DecisionRecord[];
  shortfallLines: string[];
  production: ProductionState[];
  shipment?: ShipmentState;
  invoice?: InvoiceState;
  remindersSent: number;
  outcome?: string;
}

// ---------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------

export interface ReviewArgs {
  decision: ReviewDecision;
  comment?: string;
  actor: string;
}
export interface ProductionProgressArgs {
  productionOrderId: string;
  percent: number;
  actor: string;
}
export interface ProductionCompleteArgs {
  productionOrderId: string;
  qcPassed: boolean;
  note?: string;
  actor: string;
}
export interface LogisticsConfirmArgs {
  actor: string;
  /** When it happened, ISO time; defaults to the time the workflow accepts it. */
  at?: string;
}
export interface PaymentArgs {
  amount: string;
  reference: string;
  paidAt: string;
  actor: string;
}
export interface PaymentResult {
  paymentId: string;
  outstanding: string;
  paidInFull: boolean;
}
export interface StageResult {
  orderNo: string;
  stage: Stage;
}

export const salesReview = defineUpdate<StageResult, [ReviewArgs]>('salesReview');
export const financeReview = defineUpdate<StageResult, [ReviewArgs]>('financeReview');
export const productionProgress = defineUpdate<StageResult, [ProductionProgressArgs]>('productionProgress');
export const productionComplete = defineUpdate<StageResult, [ProductionCompleteArgs]>('productionComplete');
export const confirmDispatch = defineUpdate<StageResult, [LogisticsConfirmArgs]>('confirmDispatch');
export const confirmDelivery = defineUpdate<StageResult, [LogisticsConfirmArgs]>('confirmDelivery');
export const recordPayment = defineUpdate<PaymentResult, [PaymentArgs]>('recordPayment');

export const getState = defineQuery<OrderState>('getState');

/**
 * Failure types thrown by update validators and handlers. The API maps them
 * to HTTP statuses (see api/temporal-errors.ts), so keep the two in step.
 */
export const FAILURE = {
  /** The order's current stage does not allow this command: HTTP 409. */
  wrongStage: 'WrongStage',
  /** The command's data is invalid for this order: HTTP 400, `field` in details[0]. */
  badInput: 'BadInput',
  /** Referenced record (e.g. production order) does not belong to this order: HTTP 404. */
  notFound: 'NotFound',
} as const;
