/**
 * The actions a user may take now on one order (GET /orders/:orderNo/actions,
 * the console's action panel). Nothing here is a second copy of the rules:
 *
 *   - who may call a route: the route table (api/auth/roles.ts, accessFor);
 *   - the department rule and the credit-hold rule: api/auth/rules.ts
 *     (decidesFor, creditHoldBlocks), the functions the routes run;
 *   - record scope (a sales user's own customers): the auth plugin has
 *     already answered 404 before this runs;
 *   - what the stage allows: read from the order's live workflow state, the
 *     state the workflow's update validators check (workflows/order/handlers.ts),
 *     condition by condition as named there; the validators stay the
 *     authority (a race still gets their 409);
 *   - segregation of duties (the enterer approves no finance or joint review;
 *     a change's filer does not decide it): from the same facts the
 *     validators compare (input.enteredBy, change.requestedBy).
 *
 * When the workflow cannot be queried the list is empty with the reason:
 * every command would fail the same way.
 */
import type { Client } from '@temporalio/client';
import type { PrismaClient } from '../../activities/infra/db';
import { sqlOf } from '../../activities/infra/db';
import { contractStatus } from '../../activities/documents/signature';
import { money } from '../../workflows/domain/money';
import type { Policy } from '../../workflows/domain/policy';
import {
  DISPATCHED_STAGES,
  JOINT_DEPARTMENTS,
  TERMINAL_STAGES,
  type Department,
  type OrderState,
} from '../../workflows/order/contract';
import { accessFor, type HttpMethod } from '../auth/roles';
import { creditHoldBlocks, decidesFor } from '../auth/rules';
import type { AuthUser } from '../auth/tokens';
import { notFound } from '../errors';
import { liveState } from './orders';

type L = { zh: string; en: string };

export interface ActionField {
  name: string;
  type: 'enum' | 'text' | 'textarea' | 'integer' | 'boolean' | 'money' | 'datetime' | 'date' | 'hidden' | 'changes' | 'file';
  required: boolean;
  label: L;
  options?: { value: string; label: L }[];
  value?: string | number | boolean;
  min?: number;
  max?: number;
  requiredWhen?: { field: string; in: string[] };
}

export interface Action {
  id: string;
  label: L;
  method: HttpMethod;
  path: string;
  fields: ActionField[];
  headers?: { 'Idempotency-Key': 'generate' };
}

const DEPT: Record<Department, L> = {
  sales: { zh: '销售', en: 'Sales' },
  finance: { zh: '财务', en: 'Finance' },
  production: { zh: '生产', en: 'Production' },
  logistics: { zh: '物流', en: 'Logistics' },
};
const DECISION: Record<string, L> = {
  approve: { zh: '批准', en: 'Approve' },
  reject: { zh: '拒绝', en: 'Reject' },
  return: { zh: '退回修改', en: 'Return for correction' },
};
const decisionField = (values: string[]): ActionField => ({
  name: 'decision',
  type: 'enum',
  required: true,
  label: { zh: '决定', en: 'Decision' },
  options: values.map((v) => ({ value: v, label: DECISION[v] })),
});
const commentField = (requiredFor: string[]): ActionField => ({
  name: 'comment',
  type: 'textarea',
  required: false,
  label: { zh: '意见', en: 'Comment' },
  ...(requiredFor.length ? { requiredWhen: { field: 'decision', in: requiredFor } } : {}),
});
const reasonField: ActionField = { name: 'reason', type: 'textarea', required: true, label: { zh: '原因', en: 'Reason' } };
const hidden = (name: string, value: string): ActionField => ({ name, type: 'hidden', required: true, label: { zh: name, en: name }, value });
const atField: ActionField = { name: 'at', type: 'datetime', required: false, label: { zh: '发生时间（默认现在）', en: 'When (default: now)' } };

export interface ActionsDeps {
  prisma: PrismaClient;
  temporal: Client;
  policy: Policy;
}

export async function orderActions(deps: ActionsDeps, user: AuthUser, orderNo: string) {
  const order = await deps.prisma.order.findUnique({
    where: { orderNo },
    select: { id: true, orderNo: true, workflowId: true, stage: true, enteredBy: true, paymentTerms: true },
  });
  if (!order) throw notFound(`order ${orderNo} not found`);
  const { live, liveError } = await liveState(deps.temporal, order.workflowId);
  if (!live) return { orderNo, stage: order.stage, actions: [] as Action[], liveError: liveError ?? 'the workflow could not be queried' };

  const role = user.role;
  const may = (method: HttpMethod, url: string) => accessFor(method, url)?.roles.includes(role) ?? false;
  const base = `/orders/${encodeURIComponent(orderNo)}`;
  const stage = live.stage;
  const terminal = TERMINAL_STAGES.includes(stage);
  const dispatched = DISPATCHED_STAGES.includes(stage) || !!live.shipment?.dispatchedAt;
  const openChange = live.changes.find((c) => c.status === 'under_review');
  const enterer = user.username === order.enteredBy;
  const actions: Action[] = [];

  // Sales and finance review (handlers.ts review()).
  if (stage === 'sales_review' && may('POST', '/orders/:orderNo/reviews/sales'))
    actions.push({
      id: 'sales_review',
      label: { zh: '销售评审', en: 'Sales review' },
      method: 'POST',
      path: `${base}/reviews/sales`,
      fields: [decisionField(['approve', 'reject', 'return']), commentField(['reject', 'return'])],
    });
  if (stage === 'finance_review' && may('POST', '/orders/:orderNo/reviews/finance'))
    actions.push({
      id: 'finance_review',
      label: { zh: '财务评审', en: 'Finance review' },
      method: 'POST',
      path: `${base}/reviews/finance`,
      // Segregation of duties: whoever entered the order may reject or return it, not approve it.
      fields: [decisionField(enterer ? ['reject', 'return'] : ['approve', 'reject', 'return']), commentField(['reject', 'return'])],
    });

  // Joint review, per department (checkJoint).
  if (stage === 'joint_review' && live.joint && !enterer && may('POST', '/orders/:orderNo/reviews/joint')) {
    const rejected = JOINT_DEPARTMENTS.some((d) => live.joint![d].decision === 'reject');
    for (const d of JOINT_DEPARTMENTS)
      if (!rejected && !live.joint[d].decision && decidesFor(role, d))
        actions.push({
          id: `joint_review:${d}`,
          label: { zh: `联合评审（${DEPT[d].zh}）`, en: `Joint review (${DEPT[d].en})` },
          method: 'POST',
          path: `${base}/reviews/joint`,
          fields: [hidden('department', d), decisionField(['approve', 'reject']), commentField(['reject'])],
        });
  }

  // Correction after a return (checkCorrection).
  if (stage === 'correction' && may('POST', '/orders/:orderNo/correction'))
    actions.push({
      id: 'correction',
      label: { zh: '修改订单', en: 'Correct the order' },
      method: 'POST',
      path: `${base}/correction`,
      fields: [{ name: 'changes', type: 'changes', required: true, label: { zh: '修改内容', en: 'Changes' } }],
    });

  // Change requests (checkFileChange, checkChangeReview).
  if (!terminal && !dispatched && !openChange && may('POST', '/orders/:orderNo/changes'))
    actions.push({
      id: 'file_change',
      label: { zh: '提交变更申请', en: 'File a change request' },
      method: 'POST',
      path: `${base}/changes`,
      headers: { 'Idempotency-Key': 'generate' },
      fields: [
        { name: 'changes', type: 'changes', required: true, label: { zh: '变更内容', en: 'Changes' } },
        reasonField,
        { name: 'wrongData', type: 'boolean', required: false, label: { zh: '更正录入错误', en: 'Corrects data entered wrongly' } },
      ],
    });
  if (openChange && user.username !== openChange.requestedBy && may('POST', '/orders/:orderNo/changes/:changeId/reviews'))
    for (const d of Object.keys(openChange.reviewers) as Department[])
      if (!openChange.reviewers[d]?.decision && decidesFor(role, d))
        actions.push({
          id: `change_review:${openChange.changeId}:${d}`,
          label: { zh: `变更评审（${DEPT[d].zh}）`, en: `Change review (${DEPT[d].en})` },
          method: 'POST',
          path: `${base}/changes/${encodeURIComponent(openChange.changeId)}/reviews`,
          fields: [hidden('department', d), decisionField(['approve', 'reject']), commentField(['reject'])],
        });

  // Contract signature step (activities/documents/signature.ts answers 409 otherwise).
  if (stage === 'contract_signature') {
    const c = await contractStatus(sqlOf(deps.prisma), order.id);
    if (c.contract && !c.signed && may('POST', '/orders/:orderNo/contract/signature'))
      actions.push({
        id: 'contract_signature',
        label: { zh: '登记客户签署合同', en: 'Record the customer’s signature' },
        method: 'POST',
        path: `${base}/contract/signature`,
        fields: [
          { name: 'signedOn', type: 'date', required: true, label: { zh: '签署日期', en: 'Signed on' } },
          { name: 'signer', type: 'text', required: true, label: { zh: '签署人', en: 'Signer' } },
          { name: 'scan', type: 'file', required: true, label: { zh: '签署合同扫描件（PDF/PNG/JPEG，≤5 MiB）', en: 'Scan of the signed contract (PDF/PNG/JPEG, ≤ 5 MiB)' } },
        ],
      });
    if (c.signed && !c.financeConfirmed && may('POST', '/orders/:orderNo/contract/finance-confirmation'))
      actions.push({
        id: 'contract_confirmation',
        label: { zh: '财务确认合同条款', en: 'Confirm the contract’s terms' },
        method: 'POST',
        path: `${base}/contract/finance-confirmation`,
        fields: [{ name: 'comment', type: 'textarea', required: false, label: { zh: '意见', en: 'Comment' } }],
      });
  }

  // Production reports (findProduction: stage stock_preparation, the production order open).
  if (stage === 'stock_preparation')
    for (const p of live.production.filter((x) => x.status !== 'completed')) {
      const path = `/production-orders/${encodeURIComponent(p.productionOrderId)}`;
      if (may('POST', '/production-orders/:id/progress'))
        actions.push({
          id: `production_progress:${p.productionOrderId}`,
          label: { zh: '报告生产进度', en: 'Report progress' },
          method: 'POST',
          path: `${path}/progress`,
          fields: [{ name: 'percent', type: 'integer', required: true, min: 0, max: 100, value: p.percent, label: { zh: '完成百分比', en: 'Percent done' } }],
        });
      if (may('POST', '/production-orders/:id/complete'))
        actions.push({
          id: `production_complete:${p.productionOrderId}`,
          label: { zh: '完工与质检结果', en: 'Complete with quality result' },
          method: 'POST',
          path: `${path}/complete`,
          fields: [
            { name: 'qcPassed', type: 'boolean', required: true, label: { zh: '质检通过', en: 'Quality check passed' } },
            { name: 'note', type: 'textarea', required: false, label: { zh: '备注', en: 'Note' } },
          ],
        });
    }

  // Logistics (checkDispatch, checkDelivery).
  const prepaymentDue = !!deps.policy.paymentTerms[live.paymentTerms]?.prepayment && !paidInFull(live);
  if (stage === 'shipping' && live.shipment && !live.shipment.dispatchedAt && !live.hold && !openChange && !prepaymentDue && may('POST', '/orders/:orderNo/dispatch'))
    actions.push({ id: 'dispatch', label: { zh: '确认发运', en: 'Confirm dispatch' }, method: 'POST', path: `${base}/dispatch`, fields: [atField] });
  if (stage === 'in_transit' && !live.shipment?.deliveredAt && may('POST', '/orders/:orderNo/delivery'))
    actions.push({ id: 'delivery', label: { zh: '确认送达', en: 'Confirm delivery' }, method: 'POST', path: `${base}/delivery`, fields: [atField] });

  // Payments (checkPayment: an invoice, not cancelled, not paid in full).
  if (live.invoice && stage !== 'cancelled' && !paidInFull(live) && may('POST', '/orders/:orderNo/payments'))
    actions.push({
      id: 'payment',
      label: { zh: '登记收款', en: 'Record a payment' },
      method: 'POST',
      path: `${base}/payments`,
      fields: [
        { name: 'amount', type: 'money', required: true, label: { zh: '金额', en: 'Amount' }, value: money(live.invoice.amount).minus(live.invoice.paid).toFixed(2) },
        { name: 'reference', type: 'text', required: true, label: { zh: '银行流水号', en: 'Bank reference' } },
        { name: 'paidAt', type: 'datetime', required: true, label: { zh: '到账时间', en: 'Paid at' } },
      ],
    });

  // Hold and release (checkHold, checkRelease; the credit-hold rule).
  if (!terminal && !live.hold && may('POST', '/orders/:orderNo/hold'))
    actions.push({ id: 'hold', label: { zh: '暂停订单', en: 'Put on hold' }, method: 'POST', path: `${base}/hold`, fields: [reasonField] });
  if (live.hold && may('POST', '/orders/:orderNo/release') && !(await creditHoldBlocks(deps.prisma, orderNo, role)))
    actions.push({ id: 'release', label: { zh: '解除暂停', en: 'Release the hold' }, method: 'POST', path: `${base}/release`, fields: [reasonField] });

  // Cancel (checkCancel).
  if (!terminal && !dispatched && may('POST', '/orders/:orderNo/cancel'))
    actions.push({ id: 'cancel', label: { zh: '取消订单', en: 'Cancel the order' }, method: 'POST', path: `${base}/cancel`, fields: [reasonField] });

  // The exception stage (checkResolve).
  if (stage === 'exception' && live.exception && may('POST', '/orders/:orderNo/exception')) {
    const canCancel = live.exception.stage !== 'cancelled' && !dispatched;
    actions.push({
      id: 'exception',
      label: { zh: '处理异常', en: 'Resolve the exception' },
      method: 'POST',
      path: `${base}/exception`,
      fields: [
        {
          name: 'action',
          type: 'enum',
          required: true,
          label: { zh: '处理方式', en: 'Action' },
          options: [
            { value: 'retry', label: { zh: '重试失败的步骤', en: 'Retry the failed step' } },
            ...(canCancel ? [{ value: 'cancel', label: { zh: '取消订单', en: 'Cancel the order' } }] : []),
          ],
        },
        { name: 'comment', type: 'textarea', required: true, label: { zh: '说明（修复了什么）', en: 'What was fixed, or why cancel' } },
      ],
    });
  }

  // Customer contact (api/services/customer.ts: no feedback on a rejected or cancelled order).
  if (!['rejected', 'cancelled'].includes(stage) && may('POST', '/orders/:orderNo/feedback'))
    actions.push({
      id: 'feedback',
      label: { zh: '登记客户评价', en: 'Record customer feedback' },
      method: 'POST',
      path: `${base}/feedback`,
      fields: [
        { name: 'rating', type: 'integer', required: true, min: 1, max: 5, label: { zh: '评分（1-5）', en: 'Rating (1-5)' } },
        { name: 'comment', type: 'textarea', required: false, label: { zh: '意见', en: 'Comment' } },
      ],
    });
  if (may('POST', '/orders/:orderNo/complaints'))
    actions.push({
      id: 'complaint',
      label: { zh: '登记客户投诉', en: 'Record a complaint' },
      method: 'POST',
      path: `${base}/complaints`,
      fields: [{ name: 'text', type: 'textarea', required: true, label: { zh: '投诉内容', en: 'Complaint' } }],
    });

  return { orderNo, stage, actions };
}

function paidInFull(live: OrderState): boolean {
  return !!live.invoice && money(live.invoice.paid).gte(live.invoice.amount);
}
