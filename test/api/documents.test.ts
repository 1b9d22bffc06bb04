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

describe('the contract signature step', () => {
  const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('签字扫描件 scan body')]);
  const body = (content: Buffer, fileName = '合同签字页.png') => ({
    signedOn: '2026-11-03',
    signer: '王经理',
    scan: { fileName, contentBase64: content.toString('base64') },
  });
  const sign = (b: unknown, actor = 'sales', no = orderNo) => api(stack, 'POST', `/orders/${no}/contract/signature`, b, actor);

  test('refuses scans that are not PDF, PNG or JPEG by content, or larger than 5 MiB; changes nothing', async () => {
    const text = await sign(body(Buffer.from('just text, named .png'), 'fake.png'));
    expect(text.status).toBe(400);
    expect(text.body.field).toBe('scan.contentBase64');
    const notBase64 = await sign({ ...body(PNG), scan: { fileName: 'x.png', contentBase64: '签字扫描件!' } });
    expect([notBase64.status, notBase64.body.field]).toEqual([400, 'scan.contentBase64']);
    // Just over 5 MiB (inside the route's body limit: the size rule answers) and well over it
    // (refused on the declared length, before the body is parsed): the same 413 naming the scan.
    for (const size of [5 * 1024 * 1024 + 1, 6 * 1024 * 1024]) {
      const big = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(size - 9)]);
      const tooBig = await sign(body(big, 'big.pdf'));
      expect([tooBig.status, tooBig.body.error, tooBig.body.field]).toEqual([413, 'Payload Too Large', 'scan.contentBase64']);
      expect(tooBig.body.message).toMatch(/5 MiB/);
    }
    const future = await sign({ ...body(PNG), signedOn: '2999-01-01' });
    expect([future.status, future.body.field]).toEqual([400, 'signedOn']);
    expect((await api(stack, 'GET', `/orders/${orderNo}/contract`, undefined, 'sales')).body).toMatchObject({ signed: false, financeConfirmed: false, complete: false });
  });

  test('finance cannot confirm before the signature; no contract yet is 409', async () => {
    expect((await api(stack, 'POST', `/orders/${orderNo}/contract/finance-confirmation`, {}, 'finance')).status).toBe(409);
    expect((await sign(body(PNG), 'sales', otherOrderNo)).status).toBe(409);
  });

  test('sales records the signature, finance confirms the terms; once each', async () => {
    const signed = await sign(body(PNG));
    expect(signed.status).toBe(201);
    const no = orderNo.replace(/^SO-/, '');
    expect(signed.body).toMatchObject({
      contract: { version: 1, docNo: `HT-${no}-V1` },
      signature: { signedOn: '2026-11-03', signer: '王经理', scanType: 'image/png', scanSize: PNG.length, recordedBy: 'sales' },
      signed: true,
      financeConfirmed: false,
      complete: false,
    });
    expect((await sign(body(PNG))).status).toBe(409);
    expect((await sign(body(PNG), 'sales2')).status).toBe(404); // not their customer

    const scan = await stack.app.inject({ method: 'GET', url: `/orders/${orderNo}/contract/signature/scan`, headers: await authHeaders(stack, 'auditor') });
    expect(scan.statusCode).toBe(200);
    expect(scan.headers['content-type']).toBe('image/png');
    expect(scan.rawPayload.equals(PNG)).toBe(true);

    const confirmed = await api(stack, 'POST', `/orders/${orderNo}/contract/finance-confirmation`, { comment: '账期与额度无误' }, 'finance');
    expect(confirmed.status).toBe(200);
    expect(confirmed.body).toMatchObject({ signed: true, financeConfirmed: true, complete: true, signature: { financeConfirmedBy: 'finance', financeComment: '账期与额度无误' } });
    expect((await api(stack, 'POST', `/orders/${orderNo}/contract/finance-confirmation`, {}, 'finance')).status).toBe(409);
  });
});
