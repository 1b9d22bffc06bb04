/**
 * Customer email templates (SPEC 1 "customers receive automated emails
 * (confirmations, shipping notices, payment reminders)", "Language and
 * money": customer-facing emails in the customer's language, Chinese or
 * English; Chinese names must survive everywhere) and the short English
 * notes sent to staff (SPEC 3 reminders/escalations, 4 early warning).
 *
 * Choices:
 * - Pure: data in, { subject, text, html } out; the activity sends it.
 * - Each template is written once as paragraphs of plain text; the text
 *   part joins them, the HTML part escapes them whole (templates contain no
 *   markup of their own), so every data value is escaped in HTML and
 *   untouched in text.
 * - Every subject carries the order number. A missing data key renders as
 *   "", never "undefined"; ISO timestamps are shown as "YYYY-MM-DD HH:mm UTC"
 *   and stage codes as words.
 * - Dunning: level 'friendly' = before the due date, 'final' = final notice
 *   that announces the credit hold, any other code = overdue notice.
 */
export type TemplateName =
  | 'order_confirmation'
  | 'order_rejected'
  | 'shipping_notice'
  | 'delivery_confirmation'
  | 'invoice_issued'
  | 'payment_received'
  | 'dunning_reminder'
  | 'progress_update'
  | 'order_cancelled'
  | 'order_changed';

export type Lang = 'zh' | 'en';

export type TemplateData = Record<string, string | number>;

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

export const TEMPLATE_NAMES: readonly TemplateName[] = [
  'order_confirmation',
  'order_rejected',
  'shipping_notice',
  'delivery_confirmation',
  'invoice_issued',
  'payment_received',
  'dunning_reminder',
  'progress_update',
  'order_cancelled',
  'order_changed',
];

// ---------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------

const ISO_TIMESTAMP_RE = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(:\d{2}(\.\d+)?)?Z$/;

const STAGE_WORDS: Record<string, Record<Lang, string>> = {
  sales_review: { en: 'in sales review', zh: '销售审核中' },
  finance_review: { en: 'in finance review', zh: '财务审核中' },
  joint_review: { en: 'in joint review', zh: '联合评审中' },
  confirmation: { en: 'being confirmed', zh: '订单确认中' },
  stock_preparation: { en: 'in stock preparation / production', zh: '备货生产中' },
  shipping: { en: 'being prepared for shipment', zh: '待发运' },
  in_transit: { en: 'in transit', zh: '运输中' },
  awaiting_payment: { en: 'delivered, awaiting payment', zh: '已交付，待付款' },
  closed: { en: 'completed', zh: '已完成' },
  rejected: { en: 'not accepted', zh: '未受理' },
  cancelled: { en: 'cancelled', zh: '已取消' },
};

/** Escape text for HTML element content and attribute values (the emails, the KPI report and the codec page share it). */
export function escapeHtml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** A data value as display text: "" when missing, UTC timestamps shortened. */
function value(data: TemplateData, key: string): string {
  const v = data[key];
  if (v === undefined || v === null) return '';
  const s = String(v);
  const m = ISO_TIMESTAMP_RE.exec(s);
  return m ? `${m[1]} ${m[2]} UTC` : s;
}

/** Accessors bound to one render call. */
function fields(data: TemplateData, lang: Lang) {
  const v = (key: string) => value(data, key);
  const amount = (key: string) => [v('currency'), v(key)].filter((x) => x !== '').join(' ');
  const stage = () => STAGE_WORDS[v('stage')]?.[lang] ?? v('stage');
  return { v, amount, stage };
}

// ---------------------------------------------------------------------------
// Templates: subject + body paragraphs (plain text)
// ---------------------------------------------------------------------------

interface Content {
  subject: string;
  body: string[];
}

type Fields = ReturnType<typeof fields>;
type Template = Record<Lang, (f: Fields) => Content>;

type DunningKind = 'friendly' | 'overdue' | 'final';
export function dunningKind(level: string): DunningKind {
  return level === 'friendly' ? 'friendly' : level === 'final' ? 'final' : 'overdue';
}

const TEMPLATES: Record<TemplateName, Template> = {
  order_confirmation: {
    en: ({ v, amount }) => ({
      subject: `Order ${v('orderNo')} confirmed`,
      body: [
        `Thank you for your order. We are pleased to confirm order ${v('orderNo')}.`,
        `Order total: ${amount('total')}`,
        'We will let you know as soon as it ships.',
      ],
    }),
    zh: ({ v, amount }) => ({
      subject: `订单 ${v('orderNo')} 已确认`,
      body: [`感谢您的订购。您的订单 ${v('orderNo')} 已确认。`, `订单金额：${amount('total')}`, '发货后我们将第一时间通知您。'],
    }),
  },
  order_rejected: {
    en: ({ v }) => ({
      subject: `Order ${v('orderNo')}: we are unable to accept your order`,
      body: [
        `Thank you for your order ${v('orderNo')}. We regret that we are unable to accept it.`,
        `Reason: ${v('reason')}`,
        'Please contact your sales representative if you have any questions.',
      ],
    }),
    zh: ({ v }) => ({
      subject: `订单 ${v('orderNo')} 未能受理`,
      body: [`感谢您的订购。很抱歉，我们暂时无法受理订单 ${v('orderNo')}。`, `原因：${v('reason')}`, '如有疑问，请联系您的销售代表。'],
    }),
  },
  shipping_notice: {
    en: ({ v }) => ({
      subject: `Order ${v('orderNo')} has shipped`,
      body: [
        `Your order ${v('orderNo')} has been shipped.`,
        `Ship date: ${v('shipDate')}\nCarrier: ${v('carrierName')}\nTracking number: ${v('trackingNo')}\nEstimated arrival: ${v('eta')}`,
      ],
    }),
    zh: ({ v }) => ({
      subject: `订单 ${v('orderNo')} 已发货`,
      body: [
        `您的订单 ${v('orderNo')} 已发货。`,
        `发货时间：${v('shipDate')}\n承运商：${v('carrierName')}\n运单号：${v('trackingNo')}\n预计到达：${v('eta')}`,
      ],
    }),
  },
  delivery_confirmation: {
    en: ({ v }) => ({
      subject: `Order ${v('orderNo')} delivered`,
      body: [
        `Your order ${v('orderNo')} has been delivered.`,
        'We hope everything arrived in good order. Your feedback is always welcome.',
      ],
    }),
    zh: ({ v }) => ({
      subject: `订单 ${v('orderNo')} 已送达`,
      body: [`您的订单 ${v('orderNo')} 已送达。`, '希望货物完好无损，欢迎您提出宝贵意见。'],
    }),
  },
  invoice_issued: {
    en: ({ v, amount }) => ({
      subject: `Invoice ${v('invoiceNo')} for order ${v('orderNo')}`,
      body: [
        `Please find the details of invoice ${v('invoiceNo')} for order ${v('orderNo')} below.`,
        `Amount: ${amount('amount')}\nDue date: ${v('dueDate')}`,
        'Thank you for your prompt payment.',
      ],
    }),
    zh: ({ v, amount }) => ({
      subject: `订单 ${v('orderNo')} 发票 ${v('invoiceNo')}`,
      body: [`订单 ${v('orderNo')} 的发票 ${v('invoiceNo')} 已开具。`, `金额：${amount('amount')}\n付款期限：${v('dueDate')}`, '感谢您按时付款。'],
    }),
  },
  payment_received: {
    en: ({ v, amount }) => ({
      subject: `Payment received for order ${v('orderNo')}`,
      body: [
        `We have received your payment of ${amount('amount')} for order ${v('orderNo')}. Thank you.`,
        `Paid to date: ${amount('paid')}\nOutstanding: ${amount('outstanding')}`,
      ],
    }),
    zh: ({ v, amount }) => ({
      subject: `订单 ${v('orderNo')} 收款确认`,
      body: [`我们已收到您为订单 ${v('orderNo')} 支付的 ${amount('amount')}，谢谢。`, `累计已付：${amount('paid')}\n未付余额：${amount('outstanding')}`],
    }),
  },
  dunning_reminder: {
    en: (f) => dunningEn[dunningKind(f.v('level'))](f),
    zh: (f) => dunningZh[dunningKind(f.v('level'))](f),
  },
  progress_update: {
    en: ({ v, stage }) => ({
      subject: `Progress update for order ${v('orderNo')}`,
      body: [`Here is the latest status of your order ${v('orderNo')}: ${stage()}.`, 'We will keep you informed.'],
    }),
    zh: ({ v, stage }) => ({
      subject: `订单 ${v('orderNo')} 进度通知`,
      body: [`您的订单 ${v('orderNo')} 当前状态：${stage()}。`, '我们会持续向您通报进展。'],
    }),
  },
  order_cancelled: {
    en: ({ v }) => ({
      subject: `Order ${v('orderNo')} cancelled`,
      body: [
        `Your order ${v('orderNo')} has been cancelled.`,
        `Reason: ${v('reason')}`,
        'Please contact your sales representative if you have any questions.',
      ],
    }),
    zh: ({ v }) => ({
      subject: `订单 ${v('orderNo')} 已取消`,
      body: [`您的订单 ${v('orderNo')} 已取消。`, `原因：${v('reason')}`, '如有疑问，请联系您的销售代表。'],
    }),
  },
  order_changed: {
    en: ({ v, amount }) => ({
      subject: `Order ${v('orderNo')} updated`,
      body: [
        `Your change to order ${v('orderNo')} has been approved and the order is updated.`,
        `Change: ${v('reason')}\nNew order total: ${amount('total')}`,
      ],
    }),
    zh: ({ v, amount }) => ({
      subject: `订单 ${v('orderNo')} 已变更`,
      body: [`您对订单 ${v('orderNo')} 的变更已批准，订单已更新。`, `变更内容：${v('reason')}\n新订单金额：${amount('total')}`],
    }),
  },
};

const dunningEn: Record<DunningKind, (f: Fields) => Content> = {
  friendly: ({ v, amount }) => ({
    subject: `Payment reminder: order ${v('orderNo')}, invoice ${v('invoiceNo')}`,
    body: [
      `This is a friendly reminder that invoice ${v('invoiceNo')} for order ${v('orderNo')} is due on ${v('dueDate')}.`,
      `Outstanding: ${amount('outstanding')}`,
      'If you have already paid, please disregard this message.',
    ],
  }),
  overdue: ({ v, amount }) => ({
    subject: `Overdue payment: order ${v('orderNo')}, invoice ${v('invoiceNo')}`,
    body: [
      `Our records show that invoice ${v('invoiceNo')} for order ${v('orderNo')}, due on ${v('dueDate')}, is overdue.`,
      `Outstanding: ${amount('outstanding')}`,
      'We kindly ask you to arrange payment at your earliest convenience. If you have already paid, please disregard this message.',
    ],
  }),
  final: ({ v, amount }) => ({
    subject: `Final notice: overdue payment for order ${v('orderNo')}`,
    body: [
      `Despite our earlier reminders, invoice ${v('invoiceNo')} for order ${v('orderNo')}, due on ${v('dueDate')}, remains unpaid.`,
      `Outstanding: ${amount('outstanding')}`,
      'Your account has been placed on credit hold: new orders cannot be accepted until the balance is settled. Please pay immediately or contact our finance department.',
    ],
  }),
};

const dunningZh: Record<DunningKind, (f: Fields) => Content> = {
  friendly: ({ v, amount }) => ({
    subject: `付款提醒：订单 ${v('orderNo')}，发票 ${v('invoiceNo')}`,
    body: [
      `温馨提示：订单 ${v('orderNo')} 的发票 ${v('invoiceNo')} 将于 ${v('dueDate')} 到期。`,
      `未付余额：${amount('outstanding')}`,
      '如您已付款，请忽略本邮件。',
    ],
  }),
  overdue: ({ v, amount }) => ({
    subject: `逾期付款通知：订单 ${v('orderNo')}，发票 ${v('invoiceNo')}`,
    body: [
      `订单 ${v('orderNo')} 的发票 ${v('invoiceNo')} 已于 ${v('dueDate')} 到期，目前尚未付清。`,
      `未付余额：${amount('outstanding')}`,
      '请您尽快安排付款。如您已付款，请忽略本邮件。',
    ],
  }),
  final: ({ v, amount }) => ({
    subject: `最终催款通知：订单 ${v('orderNo')}`,
    body: [
      `尽管我们此前已多次提醒，订单 ${v('orderNo')} 的发票 ${v('invoiceNo')}（到期日 ${v('dueDate')}）仍未付清。`,
      `未付余额：${amount('outstanding')}`,
      '您的账户已被暂停信用（信用冻结），在结清欠款前我们将无法受理新订单。请立即付款或联系我司财务部。',
    ],
  }),
};

// ---------------------------------------------------------------------------
// Layout
// ---------------------------------------------------------------------------

const GREETING: Record<Lang, (name: string) => string> = {
  en: (name) => (name ? `Dear ${name},` : 'Dear customer,'),
  zh: (name) => (name ? `尊敬的${name}：` : '尊敬的客户：'),
};

const SIGNATURE: Record<Lang, string> = {
  en: 'Kind regards,\nSales Order Service',
  zh: '此致\n敬礼\n销售订单服务中心',
};

function toHtml(lang: Lang, subject: string, paragraphs: string[]): string {
  const ps = paragraphs.map((p) => `<p>${escapeHtml(p).replace(/\n/g, '<br>\n')}</p>`).join('\n');
  return (
    `<!DOCTYPE html>\n<html lang="${lang === 'zh' ? 'zh-CN' : 'en'}">\n<head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head>\n` +
    `<body style="font-family: Arial, 'Microsoft YaHei', sans-serif; line-height: 1.5;">\n${ps}\n</body>\n</html>\n`
  );
}

export function render(template: TemplateName, lang: Lang, data: TemplateData): RenderedEmail {
  const t = TEMPLATES[template];
  if (!t) throw new Error(`unknown email template: ${String(template)}`);
  const l: Lang = lang === 'zh' ? 'zh' : 'en';
  const f = fields(data ?? {}, l);
  const content = t[l](f);
  const paragraphs = [GREETING[l](f.v('customerName')), ...content.body, SIGNATURE[l]];
  return { subject: content.subject, text: paragraphs.join('\n\n') + '\n', html: toHtml(l, content.subject, paragraphs) };
}

// ---------------------------------------------------------------------------
// Staff notifications (English, internal)
// ---------------------------------------------------------------------------

export type StaffMessageKind = 'warning' | 'reminder' | 'escalation' | 'timeout' | 'alert' | 'exception';

const STAFF_SUBJECT: Record<StaffMessageKind, (orderNo: string, stage: string) => string> = {
  warning: (o, s) => `[Early warning] Order ${o}: the ${s} time limit is near`,
  reminder: (o, s) => `[Reminder] Order ${o} is waiting for you in ${s}`,
  escalation: (o, s) => `[Escalation] Order ${o} is overdue in ${s}`,
  timeout: (o, s) => `[Timeout] Order ${o} ran out of time in ${s}`,
  alert: (o, s) => `[Alert] Order ${o} (${s})`,
  exception: (o, s) => `[Needs attention] Order ${o} is stopped in ${s}`,
};

const STAFF_LEAD: Record<StaffMessageKind, string> = {
  warning: 'The time limit of this order\'s current stage is about to pass; please act before it does.',
  reminder: 'This order has reached the time limit of its current stage and needs your action.',
  escalation: 'This order is still waiting after a reminder; it is escalated to you as the responsible manager.',
  timeout: 'The stage time limit, reminder and escalation have all run out; the timeout action has been taken.',
  alert: 'An early-warning alert was raised for this order.',
  exception: 'A step of this order failed in a way retrying will not fix. Fix the cause, then retry the step or cancel the order (POST /orders/:orderNo/exception).',
};

export function staffMessage(
  kind: StaffMessageKind,
  a: { orderNo: string; stage: string; detail: string },
): { subject: string; text: string } {
  const orderNo = a.orderNo ?? '';
  const stage = a.stage ?? '';
  return {
    subject: STAFF_SUBJECT[kind](orderNo, stage),
    text: [STAFF_LEAD[kind], `Order: ${orderNo}\nStage: ${stage}`, a.detail ?? ''].filter((p) => p !== '').join('\n\n') + '\n',
  };
}
