/**
 * Documents (SPEC section 11) through the real mail path: each customer
 * email of an event carries its PDFs exactly once (SMTP capture), the PDFs'
 * text is extracted back and checked against hand-computed figures, every
 * version is kept, and a stored version re-renders to the same bytes.
 *
 * One order walks through confirmation, an approved change, dispatch and the
 * invoice; the tests run in order and share it.
 */
import { createHash } from 'node:crypto';
import { sqlOf } from '../../activities/infra/db';
import { DEFAULT_COMPANY } from '../../activities/documents/company';
import { loadDocumentData } from '../../activities/documents/model';
import { renderDocument } from '../../activities/documents/render';
import { createOrder, type TestOrder } from './order-factory';
import { delivered, useActivityEnv, type ActivityEnv } from './setup';
import { pdfText } from '../support/pdf';
import { createFixture, type Fixture } from '../support/fixtures';

jest.setTimeout(180_000);

let env: ActivityEnv;
let f: Fixture;
let order: TestOrder;
let productNames: { inStock: string; mto: string };
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

useActivityEnv(async (started) => {
  env = started;
  f = await createFixture(env.prisma);
  const [a, b] = await Promise.all([
    env.prisma.product.findUniqueOrThrow({ where: { id: f.inStockProductId } }),
    env.prisma.product.findUniqueOrThrow({ where: { id: f.mtoProductId } }),
  ]);
  productNames = { inStock: a.name, mto: b.name };
  order = await createOrder(env.prisma, {
    customerId: f.customerId,
    lines: [
      { productId: f.inStockProductId, quantity: 3, unitPrice: '1234.50', taxRate: '0.13' },
      { productId: f.mtoProductId, quantity: 2, unitPrice: '5000.00', taxRate: '0.09' },
    ],
  });
  // Confirmed on 20 November (the contract's and the confirmation's date).
  await env.prisma.stageTransition.createMany({
    data: [
      { orderId: order.id, seq: 1, toStage: 'sales_review', at: new Date('2026-11-19T02:00:00Z') },
      { orderId: order.id, seq: 2, fromStage: 'sales_review', toStage: 'confirmation', at: new Date('2026-11-20T03:00:00Z') },
    ],
  });
});

const docRows = () =>
  env.prisma.document.findMany({ where: { orderId: order.id }, orderBy: [{ kind: 'asc' }, { version: 'asc' }] });

async function sendTwice(key: string, template: 'order_confirmation' | 'order_changed' | 'shipping_notice' | 'invoice_issued') {
  const args = { key, orderId: order.id, template, data: {} };
  const first = await env.acts.sendCustomerEmail(args);
  const second = await env.acts.sendCustomerEmail(args); // a retried activity
  // Both answer "queued" (the outbox row exists); the retry queued nothing new: one row, one mail, same Message-ID.
  expect(first.sent).toBe(true);
  expect(second.messageId).toBe(first.messageId);
  expect(await env.prisma.emailOutbox.count({ where: { key } })).toBe(1);
  const mails = await delivered(env.smtp, first.messageId);
  expect(mails).toHaveLength(1);
  return mails[0];
}

test('the confirmation mail carries the contract and the order confirmation, once', async () => {
  const mail = await sendTwice(`confirmation:${order.id}`, 'order_confirmation');
  const no = order.orderNo.replace(/^SO-/, '');
  expect(mail.attachments.map((a) => [a.filename, a.contentType])).toEqual([
    [`HT-${no}-V1.pdf`, 'application/pdf'],
    [`QR-${no}-V1.pdf`, 'application/pdf'],
  ]);
  const rows = await docRows();
  expect(rows.map((r) => [r.kind, r.version])).toEqual([
    ['confirmation', 1],
    ['contract', 1],
  ]);
  // What was mailed is what is stored, byte for byte.
  for (const a of mail.attachments) {
    const row = rows.find((r) => `${r.docNo}.pdf` === a.filename)!;
    expect(sha(a.content)).toBe(row.sha256);
    expect(Buffer.from(row.content).equals(a.content)).toBe(true);
  }

  const contract = await pdfText(mail.attachments[0].content);
  expect(contract).toContain('销售合同 Sales Contract');
  expect(contract).toContain(`编号 No.：HT-${no}-V1`);
  expect(contract).toContain(`订单号 Order No.：${order.orderNo}`);
  expect(contract).toContain('日期 Date：2026-11-20');
  expect(contract).toContain(DEFAULT_COMPANY.name);
  expect(contract).toContain(f.customerName);
  expect(contract).toContain(productNames.inStock);
  expect(contract).toContain(productNames.mto);
  // Each line by hand: 3 x 1234.50 = 3703.50, 13 % = 481.455 -> 481.46; 2 x 5000 = 10000.00, 9 % = 900.00.
  expect(contract).toContain('3 1,234.50 13% 3,703.50 481.46 4,184.96');
  expect(contract).toContain('2 5,000.00 9% 10,000.00 900.00 10,900.00');
  expect(contract).toContain('不含税金额 Subtotal：13,703.50 CNY 税额 VAT：1,381.46 CNY');
  expect(contract).toContain('合计 Total：15,084.96 CNY');
  expect(contract).toContain('合计人民币（大写）：壹万伍仟零捌拾肆元玖角陆分');
  expect(contract).toContain('付款条件 Payment terms：发票开具后 30 日内付款');
  expect(contract).toContain(DEFAULT_COMPANY.contractTerms[0]);

  const confirmation = await pdfText(mail.attachments[1].content);
  expect(confirmation).toContain('订单确认书 Order Confirmation');
  expect(confirmation).toContain(order.orderNo);
  expect(confirmation).toContain('壹万伍仟零捌拾肆元玖角陆分');
});

test('a stored version renders again to the same bytes', async () => {
  const [row] = await env.prisma.document.findMany({ where: { orderId: order.id, kind: 'contract', version: 1 } });
  const data = await loadDocumentData(sqlOf(env.prisma), order.id, 'contract', DEFAULT_COMPANY);
  const again = await renderDocument(data, { docNo: row.docNo, version: 1 });
  expect(sha(again)).toBe(row.sha256);
});

test('an approved change makes a new contract version and keeps the old one', async () => {
  const before = await env.prisma.document.findFirstOrThrow({ where: { orderId: order.id, kind: 'contract', version: 1 } });
  // The change as applyOrderChanges leaves it: line 1 from 3 to 5 units, new totals, the request applied.
  // 5 x 1234.50 = 6172.50, tax 802.425 -> 802.43; subtotal 16172.50, tax 1702.43, total 17874.93.
  await env.prisma.orderLine.update({ where: { id: order.lines[0].id }, data: { quantity: 5 } });
  await env.prisma.order.update({ where: { id: order.id }, data: { subtotal: '16172.50', taxAmount: '1702.43', totalAmount: '17874.93' } });
  const change = await env.prisma.changeRequest.create({
    data: {
      orderId: order.id,
      requestKey: `doc-test-${order.id}`,
      changes: { lines: [{ lineNo: 1, quantity: 5 }] },
      reason: '客户追加数量',
      requestedBy: 'sales',
      status: 'applied',
      appliedAt: new Date('2026-11-22T06:00:00Z'),
    },
  });

  const mail = await sendTwice(`changed:${change.id}`, 'order_changed');
  const no = order.orderNo.replace(/^SO-/, '');
  expect(mail.attachments.map((a) => a.filename)).toEqual([`HT-${no}-V2.pdf`]);
  const contracts = await env.prisma.document.findMany({ where: { orderId: order.id, kind: 'contract' }, orderBy: { version: 'asc' } });
  expect(contracts.map((c) => c.version)).toEqual([1, 2]);
  expect(contracts[0].sha256).toBe(before.sha256); // the old version is untouched
  expect(Buffer.from(contracts[0].content).equals(Buffer.from(before.content))).toBe(true);

  const v2 = await pdfText(mail.attachments[0].content);
  expect(v2).toContain(`HT-${no}-V2`);
  expect(v2).toContain('版本 Version：2');
  expect(v2).toContain('日期 Date：2026-11-22');
  expect(v2).toContain('5 1,234.50 13% 6,172.50 802.43 6,974.93');
  expect(v2).toContain('合计 Total：17,874.93 CNY');
  expect(v2).toContain('壹万柒仟捌佰柒拾肆元玖角叁分');
  const v1 = await pdfText(Buffer.from(contracts[0].content));
  expect(v1).toContain('3 1,234.50 13% 3,703.50 481.46 4,184.96');

  // Nothing changed since: the same version, no third one.
  await env.acts.sendCustomerEmail({ key: `changed-again:${change.id}`, orderId: order.id, template: 'order_changed', data: {} });
  expect(await env.prisma.document.count({ where: { orderId: order.id, kind: 'contract' } })).toBe(2);
});

test('the shipping notice carries the delivery note with the waybill number', async () => {
  const booking = await env.acts.bookCarrier({ orderId: order.id, shipDate: '2026-11-24T01:00:00.000Z' });
  await env.acts.confirmDispatch({ orderId: order.id, at: '2026-11-24T09:30:00.000Z', actor: 'logistics' });
  const mail = await sendTwice(`shipping:${order.id}`, 'shipping_notice');
  const no = order.orderNo.replace(/^SO-/, '');
  expect(mail.attachments.map((a) => a.filename)).toEqual([`FH-${no}-V1.pdf`]);
  const text = await pdfText(mail.attachments[0].content);
  expect(text).toContain('发货单 Delivery Note');
  expect(text).toContain(`运单号 Waybill / tracking No.：${booking.trackingNo}`);
  expect(text).toContain(`承运人 Carrier：${booking.carrierName}`);
  expect(text).toContain('发货日期 Ship date：2026-11-24');
  expect(text).toContain(productNames.inStock);
  expect(text).toContain(f.customerName);
});

test('the invoice mail carries the commercial invoice with its due date and payment details', async () => {
  const inv = await env.acts.issueInvoice({ orderId: order.id, issuedAt: '2026-11-24T09:30:00.000Z', dueDate: '2026-12-24T09:30:00.000Z' });
  const mail = await sendTwice(`invoice:${inv.invoiceId}`, 'invoice_issued');
  const no = order.orderNo.replace(/^SO-/, '');
  expect(mail.attachments.map((a) => a.filename)).toEqual([`FP-${no}-V1.pdf`]);
  const text = await pdfText(mail.attachments[0].content);
  expect(text).toContain('商业发票 Commercial Invoice');
  expect(text).toContain(order.orderNo);
  expect(text).toContain(`发票号 Invoice No.：${inv.invoiceNo}`);
  expect(text).toContain('到期日 Due date：2026-12-24');
  expect(text).toContain('应付金额 Amount due：17,874.93 CNY');
  expect(text).toContain('合计人民币（大写）：壹万柒仟捌佰柒拾肆元玖角叁分');
  expect(text).toContain(`账号 Account：${DEFAULT_COMPANY.bank.account}`);
  expect(text).toContain(f.customerName);
  expect(text).toContain(productNames.mto);
});

test('a mail without documents has no attachments', async () => {
  const r = await env.acts.sendCustomerEmail({ key: `delivered:${order.id}`, orderId: order.id, template: 'delivery_confirmation', data: {} });
  const [mail] = await delivered(env.smtp, r.messageId);
  expect(mail.attachments).toEqual([]);
  const row = await env.prisma.emailOutbox.findUniqueOrThrow({ where: { key: `delivered:${order.id}` } });
  expect(row.attachments).toBeNull();
});
