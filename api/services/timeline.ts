/**
 * An order's timeline for the console's order page (GET /orders/:orderNo/timeline):
 * every dated fact of the order in one list, oldest first, each with a
 * one-line title in Chinese and English. Built from the order as
 * GET /orders/:orderNo reads it (api/services/orders.ts getOrder), so the
 * two never disagree; plus the link to the order's history in the Temporal UI.
 */
import { getOrder } from './orders';

type L = { zh: string; en: string };
type Detail = Record<string, string | number | boolean | null>;

export interface TimelineItem {
  at: string;
  kind: 'transition' | 'decision' | 'alert' | 'email' | 'hold' | 'release' | 'change' | 'production' | 'shipment' | 'payment' | 'dunning' | 'exception';
  title: L;
  actor: string | null;
  detail: Detail;
}

const DECISION: Record<string, L> = {
  approve: { zh: '批准', en: 'approved' },
  reject: { zh: '拒绝', en: 'rejected' },
  return: { zh: '退回修改', en: 'returned for correction' },
};

export async function orderTimeline(deps: Parameters<typeof getOrder>[0], orderNo: string) {
  const o = await getOrder(deps, orderNo);
  const items: TimelineItem[] = [];
  const push = (at: string | null | undefined, kind: TimelineItem['kind'], title: L, actor: string | null, detail: Detail) => {
    if (at) items.push({ at, kind, title, actor, detail });
  };

  for (const t of o.transitions)
    push(t.at, 'transition', { zh: `阶段：${t.from ?? '—'} → ${t.to}`, en: `Stage: ${t.from ?? '—'} → ${t.to}` }, t.actor, {
      seq: t.seq,
      from: t.from,
      to: t.to,
      reason: t.reason,
    });
  for (const d of o.decisions) {
    const what = DECISION[d.decision] ?? { zh: d.decision, en: d.decision };
    const dept = d.department ? ` (${d.department})` : '';
    push(d.at, 'decision', { zh: `${d.stage}${dept}：${what.zh}`, en: `${d.stage}${dept}: ${what.en}` }, d.actor, {
      stage: d.stage,
      department: d.department,
      decision: d.decision,
      comment: d.comment,
    });
  }
  for (const a of o.alerts)
    push(a.at, a.kind === 'exception' ? 'exception' : 'alert', { zh: `提醒（${a.role}）：${a.message}`, en: `Alert (${a.role}): ${a.message}` }, null, {
      key: a.key,
      kind: a.kind,
      role: a.role,
      message: a.message,
    });
  for (const e of o.emails)
    push(e.createdAt, 'email', { zh: `邮件：${e.subject}`, en: `Email: ${e.subject}` }, null, {
      subject: e.subject,
      template: e.template,
      to: e.to,
      status: e.status,
      sentAt: e.sentAt,
    });
  for (const h of o.holds) {
    push(h.heldAt, 'hold', { zh: `暂停：${h.reason}`, en: `On hold: ${h.reason}` }, h.heldBy, { stage: h.stage, reason: h.reason });
    push(h.releasedAt, 'release', { zh: '解除暂停', en: 'Released from hold' }, h.releasedBy, { stage: h.stage });
  }
  for (const c of o.changes) {
    push(c.createdAt, 'change', { zh: `变更申请：${c.reason}`, en: `Change request: ${c.reason}` }, c.requestedBy, { changeId: c.id, status: c.status, reason: c.reason });
    push(c.appliedAt, 'change', { zh: '变更已生效', en: 'Change applied' }, null, { changeId: c.id, status: 'applied' });
    if (!c.appliedAt)
      push(c.decidedAt, 'change', { zh: `变更已决定：${c.status}`, en: `Change decided: ${c.status}` }, null, { changeId: c.id, status: c.status });
  }
  for (const p of o.productionOrders)
    push(p.completedAt, 'production', { zh: `生产完工 ${p.productionNo}`, en: `Production ${p.productionNo} completed` }, null, {
      productionOrderId: p.id,
      productionNo: p.productionNo,
      qcPassed: p.qcPassed,
      note: p.note,
    });
  const s = o.shipment;
  if (s) {
    const detail = { carrier: s.carrierName, trackingNo: s.trackingNo, eta: s.eta };
    push(s.bookedAt, 'shipment', { zh: `已订舱 ${s.carrierName} ${s.trackingNo}`, en: `Booked with ${s.carrierName}, ${s.trackingNo}` }, null, detail);
    push(s.dispatchedAt, 'shipment', { zh: '已发运', en: 'Dispatched' }, null, detail);
    push(s.deliveredAt, 'shipment', { zh: '已送达', en: 'Delivered' }, null, detail);
  }
  if (o.invoice) {
    const inv = o.invoice;
    for (const p of inv.payments)
      push(p.paidAt, 'payment', { zh: `收款 ${p.amount} ${inv.currency}`, en: `Payment ${p.amount} ${inv.currency}` }, p.recordedBy, {
        amount: p.amount,
        currency: inv.currency,
        reference: p.reference,
      });
    for (const r of inv.reminders) push(r.sentAt, 'dunning', { zh: `催款：${r.level}`, en: `Payment reminder: ${r.level}` }, null, { level: r.level });
  }
  // Oldest first; a stable order for facts of the same instant (the order they were listed in).
  const sorted = items.map((item, i) => ({ item, i })).sort((a, b) => a.item.at.localeCompare(b.item.at) || a.i - b.i).map((x) => x.item);
  return { orderNo: o.orderNo, workflowId: o.workflowId, workflowUrl: o.workflowUrl, items: sorted };
}
