/**
 * An order's workflow as seen from outside it: the input built from the
 * stored order, its start, and the check that a workflow with the order's id
 * really belongs to this order. Intake (api/services/intake.ts) and the
 * reconciler (worker/reconciler.ts) both start orders through here, so a
 * workflow started late gets exactly what intake would have given it.
 *
 * Ownership: the workflow id is `order-<orderNo>`, but an order number can be
 * met again with another order behind it (the database restored from an
 * older backup, or reset while Temporal kept its histories). Every start
 * carries the order id in the workflow's memo; when the id is taken, the
 * existing workflow's order id (its memo, or for a run without one, such as
 * a continued-as-new run or one started before the memo existed, its input)
 * is compared, and a workflow of another order is never adopted:
 * `WorkflowOwnerConflict`, and an alert for admin.
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow';
import type { Policy } from '../workflows/domain/policy';
import { SA, orderLineInput, type OrderWorkflowInput } from '../workflows/order/contract';
import { writeAudit } from './audit';
import { sqlOf, type PrismaClient } from './infra/db';

export const ORDER_WORKFLOW_TYPE = 'orderWorkflow';
/** The memo field that names the order a workflow belongs to. */
export const MEMO_ORDER_ID = 'orderId';

/** The stored order with what its workflow input needs. */
export function loadOrderForStart(prisma: PrismaClient, where: { idempotencyKey: string } | { id: string }) {
  return prisma.order.findUnique({
    where,
    include: { lines: { orderBy: { lineNo: 'asc' }, include: { product: { select: { sku: true } } } } },
  });
}

export type StoredOrder = NonNullable<Awaited<ReturnType<typeof loadOrderForStart>>>;

/** The workflow input, built from the stored order: the same for intake, a replay and a late start. */
export function orderWorkflowInput(order: StoredOrder, policy: Policy): OrderWorkflowInput {
  return {
    orderId: order.id,
    orderNo: order.orderNo,
    customerId: order.customerId,
    currency: order.currency,
    totalAmount: order.totalAmount.toFixed(2),
    paymentTerms: order.paymentTerms,
    requestedDeliveryDate: order.requestedDeliveryDate.toISOString().slice(0, 10),
    enteredBy: order.enteredBy,
    special: order.special,
    lines: order.lines.map((l) => orderLineInput(l)),
    policy,
  };
}

/** The workflow under an order's id belongs to another order: it is left alone. */
export class WorkflowOwnerConflict extends Error {
  constructor(
    readonly orderId: string,
    readonly orderNo: string,
    readonly workflowId: string,
    /** The order id the existing workflow carries; undefined when it could not be read. */
    readonly foundOrderId: string | undefined,
  ) {
    super(
      `workflow ${workflowId} already exists and belongs to ${foundOrderId ? `order id ${foundOrderId}` : 'an order whose id cannot be read'}, ` +
        `not to order ${orderNo} (id ${orderId}): the order database and Temporal disagree ` +
        '(a database restored from an older backup, or reset while Temporal kept its histories)',
    );
    this.name = 'WorkflowOwnerConflict';
  }
}

export interface WorkflowOwner {
  /** The order id the workflow carries (memo, else its input); undefined when unreadable. */
  orderId: string | undefined;
  /** RUNNING, COMPLETED, FAILED, TERMINATED, ... of the latest run. */
  status: string;
  runId: string;
}

/** Who the workflow with this id belongs to; null when there is none. */
export async function workflowOwner(client: Client, workflowId: string): Promise<WorkflowOwner | null> {
  let described;
  try {
    described = await client.workflow.getHandle(workflowId).describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return null;
    throw err;
  }
  const memo = described.memo?.[MEMO_ORDER_ID];
  const orderId = typeof memo === 'string' ? memo : await inputOrderId(client, workflowId, described.runId);
  return { orderId, status: described.status.name, runId: described.runId };
}

/** The `orderId` of the run's input (its first history event), for runs without the memo. */
async function inputOrderId(client: Client, workflowId: string, runId: string): Promise<string | undefined> {
  try {
    const page = await client.workflowService.getWorkflowExecutionHistory({
      namespace: client.options.namespace,
      execution: { workflowId, runId },
      maximumPageSize: 1,
    });
    const payloads = page.history?.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads;
    const input = await decodeFromPayloadsAtIndex<{ orderId?: unknown }>(client.options.loadedDataConverter, 0, payloads);
    return typeof input?.orderId === 'string' ? input.orderId : undefined;
  } catch {
    // Undecodable (another codec key, not an order workflow): unknown, so never adopted.
    return undefined;
  }
}

export type StartOutcome =
  /** This call started it. */
  | { started: true; status: 'RUNNING' }
  /** It existed already and belongs to this order (a replay, or a start that raced another). */
  | { started: false; status: string };

export interface StartDeps {
  prisma: PrismaClient;
  client: Client;
  taskQueue: string;
  policy: Policy;
}

/**
 * Starts the order's workflow, or confirms the existing one is this order's,
 * and records that it has one (orders.workflow_started_at). A workflow of
 * another order throws WorkflowOwnerConflict; Temporal errors propagate.
 */
export async function startOrderWorkflow(deps: StartDeps, order: StoredOrder): Promise<StartOutcome> {
  let outcome: StartOutcome;
  try {
    await deps.client.workflow.start(ORDER_WORKFLOW_TYPE, {
      taskQueue: deps.taskQueue,
      workflowId: order.workflowId,
      args: [orderWorkflowInput(order, deps.policy)],
      memo: { [MEMO_ORDER_ID]: order.id },
      // An existing id (running or finished) is never taken over blindly: refused, then checked below.
      workflowIdConflictPolicy: 'FAIL',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      typedSearchAttributes: [
        { key: SA.orderNo, value: order.orderNo },
        { key: SA.stage, value: order.stage },
        { key: SA.customerId, value: order.customerId },
        { key: SA.riskLevel, value: order.riskLevel },
        { key: SA.amount, value: Number(order.totalAmount.toFixed(2)) },
      ],
    });
    outcome = { started: true, status: 'RUNNING' };
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    const owner = await workflowOwner(deps.client, order.workflowId);
    // Gone between the refusal and the look (deleted): the next attempt starts it.
    if (!owner) throw err;
    if (owner.orderId !== order.id) throw new WorkflowOwnerConflict(order.id, order.orderNo, order.workflowId, owner.orderId);
    outcome = { started: false, status: owner.status };
  }
  await markWorkflowStarted(deps.prisma, order.id);
  return outcome;
}

/** Records that the order's workflow exists, once. */
export async function markWorkflowStarted(prisma: PrismaClient, orderId: string): Promise<void> {
  await sqlOf(prisma).execute(`UPDATE orders SET workflow_started_at = now() WHERE id = $1 AND workflow_started_at IS NULL`, [orderId]);
}

export type WorkflowAlertKind = 'workflow_conflict' | 'workflow_missing' | 'workflow_closed';

/**
 * An alert for admin about an order whose workflow disagrees with the
 * database, with its audit entry; one per order and kind (true when new).
 */
export async function raiseWorkflowAlert(
  prisma: PrismaClient,
  a: { orderId: string; orderNo: string; kind: WorkflowAlertKind; message: string },
): Promise<boolean> {
  const key = `${a.kind}:${a.orderId}`;
  return sqlOf(prisma).transaction(async (tx) => {
    const inserted = await tx.execute(
      `INSERT INTO alerts (id, key, order_id, kind, role, message) VALUES (gen_random_uuid()::text, $1, $2, $3, 'admin', $4)
       ON CONFLICT (key) DO NOTHING`,
      [key, a.orderId, a.kind, a.message],
    );
    if (inserted === 0) return false;
    await writeAudit(tx, {
      key: `alert:${key}`,
      actor: 'system',
      action: `order.${a.kind}`,
      entity: 'order',
      entityId: a.orderId,
      orderNo: a.orderNo,
      after: { role: 'admin', message: a.message },
    });
    return true;
  });
}
