/**
 * GET /orders/:orderNo/documents and .../:docId.pdf against the real stack:
 * the list, a byte-identical download (sha256 as stored), and the order's
 * record rule: a sales user who does not own the customer gets 404, as for
 * the order itself.
 */
import { createHash } from 'node:crypto';
import { documentsForEmail } from '../../activities/documents/attachments';
import { createOrder } from '../activities/order-factory';
import { createFixture } from '../support/fixtures';
import { api, authHeaders } from '../support/orders';
import { useTestStack, type TestStack } from '../support/stack';

jest.setTimeout(180_000);

let stack: TestStack;
let orderNo: string;
let otherOrderNo: string;

useTestStack(async (started) => {
  stack = started;
  const f = await createFixture(stack.prisma); // owned by `sales`
  const o = await createOrder(stack.prisma, { customerId: f.customerId, lines: [{ productId: f.inStockProductId, quantity: 4, unitPrice: '250.00' }] });
  await stack.prisma.stageTransition.create({ data: { orderId: o.id, seq: 1, toStage: 'confirmation', at: new Date('2026-11-02T02:00:00Z') } });
  await documentsForEmail({ prisma: stack.prisma }, { orderId: o.id, template: 'order_confirmation' });
  orderNo = o.orderNo;
  const other = await createOrder(stack.prisma, { customerId: f.customerId, lines: [{ productId: f.inStockProductId, quantity: 1 }] });
  otherOrderNo = other.orderNo;
});

async function download(url: string, actor: string) {
  return stack.app.inject({ method: 'GET', url, headers: await authHeaders(stack, actor) });
}

test('the list and a byte-identical download', async () => {
  const list = await api(stack, 'GET', `/orders/${orderNo}/documents`, undefined, 'sales');
  expect(list.status).toBe(200);
  const no = orderNo.replace(/^SO-/, '');
  expect(list.body.items.map((d: any) => [d.kind, d.version, d.latest, d.docNo])).toEqual([
    ['contract', 1, true, `HT-${no}-V1`],
    ['confirmation', 1, true, `QR-${no}-V1`],
  ]);
  const contract = list.body.items[0];
  expect(contract.url).toBe(`/orders/${orderNo}/documents/${contract.id}.pdf`);
  expect(contract.issuedAt).toBe('2026-11-02T00:00:00.000Z');

  const res = await download(contract.url, 'sales');
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toBe('application/pdf');
  expect(res.headers['content-disposition']).toBe(`inline; filename="HT-${no}-V1.pdf"`);
  expect(res.headers['x-document-sha256']).toBe(contract.sha256);
  expect(res.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
  expect(createHash('sha256').update(res.rawPayload).digest('hex')).toBe(contract.sha256);
  expect(res.rawPayload.length).toBe(contract.size);
  // Again: the same bytes.
  expect((await download(contract.url, 'marketing')).rawPayload.equals(res.rawPayload)).toBe(true);
});

test('who may not see the order gets 404 for its documents', async () => {
  const list = await api(stack, 'GET', `/orders/${orderNo}/documents`, undefined, 'sales');
  const url = list.body.items[0].url as string;
  // sales2 is a sales user who owns none of this customer's orders.
  expect((await api(stack, 'GET', `/orders/${orderNo}`, undefined, 'sales2')).status).toBe(404);
  expect((await api(stack, 'GET', `/orders/${orderNo}/documents`, undefined, 'sales2')).status).toBe(404);
  expect((await download(url, 'sales2')).statusCode).toBe(404);
  // Every other staff role reads them, as it reads the order.
  for (const role of ['auditor', 'finance', 'logistics']) expect((await download(url, role)).statusCode).toBe(200);
});

test('unknown orders and documents, and a document asked under another order, are 404', async () => {
  const list = await api(stack, 'GET', `/orders/${orderNo}/documents`, undefined, 'sales');
  const id = list.body.items[0].id as string;
  expect((await api(stack, 'GET', '/orders/SO-1999-999999/documents', undefined, 'sales_manager')).status).toBe(404);
  expect((await download(`/orders/${orderNo}/documents/no-such-doc.pdf`, 'sales')).statusCode).toBe(404);
  expect((await download(`/orders/${otherOrderNo}/documents/${id}.pdf`, 'sales')).statusCode).toBe(404);
  expect((await api(stack, 'GET', `/orders/${otherOrderNo}/documents`, undefined, 'sales')).body).toEqual({ items: [] });
});
