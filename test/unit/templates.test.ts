import { render, staffMessage, TEMPLATE_NAMES, type Lang } from '../../activities/email/templates';

const DATA = {
  orderNo: 'SO-2026-000123',
  customerName: '上海<华光>贸易有限公司 & Co',
  total: '113000.00',
  currency: 'CNY',
  reason: 'price "too low" <b>',
  carrierName: '顺丰速运',
  trackingNo: 'SF1234567890',
  eta: '2026-03-05T08:00:00.000Z',
  shipDate: '2026-03-01T08:00:00.000Z',
  invoiceNo: 'INV-2026-000045',
  amount: '113000.00',
  dueDate: '2026-04-01T00:00:00.000Z',
  paid: '50000.00',
  outstanding: '63000.00',
  level: 'overdue_7',
  stage: 'stock_preparation',
};
const LANGS: Lang[] = ['zh', 'en'];

describe('render: every template and language', () => {
  for (const name of TEMPLATE_NAMES)
    for (const lang of LANGS)
      it(`${name}/${lang} has the order number, no "undefined", escaped HTML`, () => {
        const m = render(name, lang, DATA);
        expect(m.subject).toContain('SO-2026-000123');
        for (const part of [m.subject, m.text, m.html]) expect(part).not.toMatch(/undefined|null|NaN/);
        expect(m.text).toContain('上海<华光>贸易有限公司 & Co');
        expect(m.html).toContain('上海&lt;华光&gt;贸易有限公司 &amp; Co');
        expect(m.html).not.toContain('<华光>');
        expect(m.html).not.toContain('<b>');
      });

  it('has ten templates', () => {
    expect(new Set(TEMPLATE_NAMES).size).toBe(10);
  });
});

describe('render: content', () => {
  it('Chinese and English differ and use the right greeting', () => {
    const zh = render('order_confirmation', 'zh', DATA);
    const en = render('order_confirmation', 'en', DATA);
    expect(zh.subject).toBe('订单 SO-2026-000123 已确认');
    expect(en.subject).toBe('Order SO-2026-000123 confirmed');
    expect(zh.text.startsWith('尊敬的上海<华光>贸易有限公司 & Co：')).toBe(true);
    expect(en.text.startsWith('Dear 上海<华光>贸易有限公司 & Co,')).toBe(true);
    expect(zh.text).toContain('CNY 113000.00');
    expect(zh.html).toContain('lang="zh-CN"');
  });
  it('shipping notice carries carrier, tracking number and ETA', () => {
    const m = render('shipping_notice', 'en', DATA);
    expect(m.text).toContain('Carrier: 顺丰速运');
    expect(m.text).toContain('Tracking number: SF1234567890');
    expect(m.text).toContain('Estimated arrival: 2026-03-05 08:00 UTC');
    expect(m.html).toContain('Tracking number: SF1234567890<br>');
  });
  it('escapes quotes and keeps text plain', () => {
    const m = render('order_rejected', 'en', DATA);
    expect(m.text).toContain('Reason: price "too low" <b>');
    expect(m.html).toContain('Reason: price &quot;too low&quot; &lt;b&gt;');
  });
  it('dunning: friendly before due, overdue, final mentions credit hold', () => {
    const friendly = render('dunning_reminder', 'en', { ...DATA, level: 'friendly' });
    const overdue = render('dunning_reminder', 'en', { ...DATA, level: 'overdue_1' });
    const final = render('dunning_reminder', 'en', { ...DATA, level: 'final' });
    expect(friendly.subject).toMatch(/^Payment reminder/);
    expect(friendly.text).toContain('is due on 2026-04-01 00:00 UTC');
    expect(overdue.subject).toMatch(/^Overdue payment/);
    expect(overdue.text).toContain('is overdue');
    expect(final.subject).toMatch(/^Final notice/);
    expect(final.text).toContain('credit hold');
    expect(friendly.text).not.toContain('credit hold');
    expect(overdue.text).not.toContain('credit hold');
    expect(render('dunning_reminder', 'zh', { ...DATA, level: 'final' }).text).toContain('信用冻结');
    expect(render('dunning_reminder', 'zh', { ...DATA, level: 'friendly' }).subject).toBe('付款提醒：订单 SO-2026-000123，发票 INV-2026-000045');
    for (const t of [friendly, overdue, final]) expect(t.text).toContain('CNY 63000.00');
  });
  it('progress update shows the stage in words', () => {
    expect(render('progress_update', 'en', DATA).text).toContain('in stock preparation / production');
    expect(render('progress_update', 'zh', DATA).text).toContain('备货生产中');
    expect(render('progress_update', 'en', { ...DATA, stage: 'custom' }).text).toContain(': custom.');
  });
  it('payment received shows paid and outstanding', () => {
    const m = render('payment_received', 'zh', DATA);
    expect(m.subject).toBe('订单 SO-2026-000123 收款确认');
    expect(m.text).toContain('累计已付：CNY 50000.00');
    expect(m.text).toContain('未付余额：CNY 63000.00');
  });
  it('invoice subject has invoice and order number', () => {
    expect(render('invoice_issued', 'en', DATA).subject).toBe('Invoice INV-2026-000045 for order SO-2026-000123');
  });
  it('renders missing keys as empty strings', () => {
    const m = render('shipping_notice', 'en', { orderNo: 'SO-2026-000001' });
    expect(m.text).toContain('Dear customer,');
    expect(m.text).toContain('Carrier: \n');
    expect(m.text).not.toMatch(/undefined/);
    const total = render('order_confirmation', 'en', { orderNo: 'SO-2026-000001', total: 5 });
    expect(total.text).toContain('Order total: 5\n');
    expect(render('order_cancelled', 'zh', {}).subject).toBe('订单  已取消');
  });
});

describe('staffMessage', () => {
  const a = { orderNo: 'SO-2026-000123', stage: 'finance_review', detail: 'Waiting since 2026-03-01 for 上海华光.' };
  it.each([
    ['reminder', '[Reminder] Order SO-2026-000123 is waiting for you in finance_review'],
    ['escalation', '[Escalation] Order SO-2026-000123 is overdue in finance_review'],
    ['timeout', '[Timeout] Order SO-2026-000123 ran out of time in finance_review'],
    ['alert', '[Alert] Order SO-2026-000123 (finance_review)'],
  ] as const)('%s', (kind, subject) => {
    const m = staffMessage(kind, a);
    expect(m.subject).toBe(subject);
    expect(m.text).toContain('Order: SO-2026-000123\nStage: finance_review');
    expect(m.text).toContain('Waiting since 2026-03-01 for 上海华光.');
  });
});
