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
  'correction',
  'finance_review',
  'joint_review',
  'confirmation',
  'stock_preparation',
  'awaiting_prepayment',
  'shipping',
  'in_transit',
  'awaiting_payment',
  /** "Needs attention" (SPEC 3a): a step failed for good; a person retries it or cancels the order. */
  'exception',
  'closed',
  'rejected',
  'cancelled',
] as const;
export type Stage = (typeof STAGES)[number];
export const TERMINAL_STAGES: readonly Stage[] = ['closed', 'rejected', 'cancelled'];
/** Once the goods have left, an order can no longer be changed or cancelled. */
export const DISPATCHED_STAGES: readonly Stage[] = ['in_transit', 'awaiting_payment', 'closed'];
/** Stages before confirmation: a change is reviewed by sales and finance; after, jointly. */
export const PRE_CONFIRMATION_STAGES: readonly Stage[] = ['sales_review', 'correction', 'finance_review', 'joint_review'];

export const DEPARTMENTS = ['sales', 'finance', 'production', 'logistics'] as const;
export type Department = (typeof DEPARTMENTS)[number];
/** Joint review (SPEC 3.4): these three decide in parallel; all must approve. */
export const JOINT_DEPARTMENTS = ['production', 'logistics', 'finance'] as const satisfies readonly Department[];
export type JointDepartment = (typeof JOINT_DEPARTMENTS)[number];

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

/** A stored order line as the workflow carries it; one mapping for the intake's start and the change's new facts. */
export const orderLineInput = (l: {
  id: string;
  productId: string;
  quantity: number;
  unitPrice: { toFixed(dp: number): string };
  taxRate: { toFixed(dp: number): string };
  product: { sku: string };
}): OrderLineInput => ({
  lineId: l.id,
  productId: l.productId,
  sku: l.product.sku,
  quantity: l.quantity,
  unitPrice: l.unitPrice.toFixed(2),
  taxRate: l.taxRate.toFixed(4),
});

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
  /** Flagged special by sales at intake: always jointly reviewed. */
  special?: boolean;
  /** Policy snapshot taken at intake: a running order keeps the rules it started with. */
  policy: Policy;
  /** Set only by continue-as-new: where the previous run stopped. */
  resume?: ResumeSnapshot;
}

/** What a run hands to its successor when the history is long (continue-as-new). */
export interface ResumeSnapshot {
  state: OrderState;
  seq: number;
  /** Facts the flow has learned that are not in OrderState. */
  facts: Record<string, unknown>;
}

/** A customer's change, or a correction after a review returned the order (SPEC "Changes"). */
export interface OrderChanges {
  /** The full new set of lines; a product left out is removed. */
  lines?: { productId: string; quantity: number; unitPrice: string; taxRate: string; specification?: string }[];
  requestedDeliveryDate?: string;
  deliveryAddress?: { recipient: string; phone: string; region: string; city: string; line1: string; postcode?: string };
  paymentTerms?: string;
  contact?: { name: string; phone?: string; email?: string };
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

export interface JointDecisionState {
  decision?: ReviewDecision;
  actor?: string;
  comment?: string;
  at?: string;
  escalation: 'none' | 'warned' | 'reminded' | 'escalated' | 'timed_out';
}

export interface ChangeState {
  changeId: string;
  changes: OrderChanges;
  reason: string;
  requestedBy: string;
  requestedAt: string;
  /** Departments that must approve, and what each said so far. */
  reviewers: Partial<Record<Department, JointDecisionState>>;
  status: 'under_review' | 'approved' | 'rejected' | 'applied';
}

/** Why an order is in the exception stage, and where it goes back to on "retry". */
export interface ExceptionState {
  /** The stage whose step failed ('cancelled' when the compensation of a cancellation failed). */
  stage: Stage;
  /** The step (activity or side loop) that failed. */
  step: string;
  message: string;
  at: string;
}

export interface OrderState {
  orderNo: string;
  stage: Stage;
  stageEnteredAt: string;
  /** Sum of on-hold time inside the current stage (its clock stood still). */
  heldMs: number;
  hold?: { reason: string; actor: string; since: string };
  totalAmount: string;
  paymentTerms: string;
  riskLevel: string;
  /** Why joint review is needed (empty when it is not). */
  jointReviewReasons: string[];
  joint?: Record<JointDepartment, JointDecisionState>;
  /** The reviewer's comment when the order was returned for correction. */
  returnedWith?: { stage: Stage; comment: string; actor: string };
  changes: ChangeState[];
  alerts: string[];
  progressUpdatesSent: number;
  /** Escalation step reached in the current stage: none, reminded the assignee, alerted the manager. */
  escalation: 'none' | 'warned' | 'reminded' | 'escalated' | 'timed_out';
  stageDeadline?: string;
  decisions: DecisionRecord[];
  shortfallLines: string[];
  production: ProductionState[];
  shipment?: ShipmentState;
  invoice?: InvoiceState;
  /** Dunning levels passed (sent, or skipped because paid). */
  remindersSent: number;
  outcome?: string;
  /** Set while the order needs attention (stage 'exception'), and while a side loop's failure waits for it. */
  exception?: ExceptionState;
  /** How many runs this order has had (continue-as-new keeps histories short). */
  run: number;
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

export interface CorrectionArgs {
  changes: OrderChanges;
  actor: string;
}
export interface JointReviewArgs {
  department: JointDepartment;
  decision: 'approve' | 'reject';
  comment?: string;
  actor: string;
}
export interface FileChangeArgs {
  changes: OrderChanges;
  reason: string;
  actor: string;
  /** Made by the API from the request's Idempotency-Key, so a retried request files nothing twice. */
  changeId: string;
  /** The change corrects data taken wrongly at intake (counts against order accuracy). */
  wrongData?: boolean;
}
export interface ChangeReviewArgs {
  changeId: string;
  department: Department;
  decision: 'approve' | 'reject';
  comment?: string;
  actor: string;
}
export interface ReasonArgs {
  reason: string;
  actor: string;
}
export interface ChangeResult {
  orderNo: string;
  changeId: string;
  status: ChangeState['status'];
  pending: Department[];
}

export const correctOrder = defineUpdate<StageResult, [CorrectionArgs]>('correctOrder');
export const jointReview = defineUpdate<StageResult & { pending: JointDepartment[] }, [JointReviewArgs]>('jointReview');
export const fileChange = defineUpdate<ChangeResult, [FileChangeArgs]>('fileChange');
export const reviewChange = defineUpdate<ChangeResult, [ChangeReviewArgs]>('reviewChange');
export const cancelOrder = defineUpdate<StageResult, [ReasonArgs]>('cancelOrder');
export const holdOrder = defineUpdate<StageResult, [ReasonArgs]>('holdOrder');
export const releaseOrder = defineUpdate<StageResult, [ReasonArgs]>('releaseOrder');

export interface ResolveExceptionArgs {
  /** retry: run the failed step again (after fixing its data); cancel: cancel the order with compensation. */
  action: 'retry' | 'cancel';
  comment: string;
  actor: string;
}
export const resolveException = defineUpdate<StageResult, [ResolveExceptionArgs]>('resolveException');

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
  /** Segregation of duties: this person may not take this decision: HTTP 403. */
  forbidden: 'Forbidden',
} as const;
