/**
 * My work and the order actions for the contract signature step and for
 * invoices past their due date (issue 11 item 3), on the real stack with the
 * signature step on for every order: sales records the signature through the
 * action it is offered (a file field), finance confirms, and an overdue
 * prepayment invoice is on top of finance's work with negative time left.
 */
import { randomUUID } from 'node:crypto';
import { closeTestPrisma } from '../support/db';
import { createFixture } from '../support/fixtures';
import { browse, signIn, type Browser } from '../support/console';
import { placeOrder, waitForState, type OrderFixture } from '../support/orders';
import { startTestStack, type TestStack } from '../support/stack';

jest.setTimeout(180_000);

let stack: TestStack;
let f: OrderFixture;
const users: Record<string, Browser> = {};
const as = async (username: string) => (users[username] ??= await signIn(stack, username));

beforeAll(async () => {
  stack = await startTestStack({ policy: { contractSignature: 'always' } });
  f = await createFixture(stack.prisma);
});
afterAll(async () => {
  await stack?.stop();
  await closeTestPrisma();
});

const work = async (username: string) => (await browse(stack, await as(username), 'GET', '/work')).body.items as any[];
const actionsOf = async (username: string, orderNo: string) =>
  (await browse(stack, await as(username), 'GET', `/orders/${orderNo}/actions`)).body.actions as { id: string; path: string; fields: any[] }[];

/** Sales and finance approve; the order reaches the signature step in the read model. */
async function toSignature(over: Record<string, unknown> = {}): Promise<string> {
  const orderNo = await placeOrder(stack, f, over);
  expect((await browse(stack, await as('sales_manager'), 'POST', `/orders/${orderNo}/reviews/sales`, { decision: 'approve' })).status).toBe(200);
  await waitForState(stack, orderNo, (s) => s.stage === 'finance_review');
  expect((await browse(stack, await as('finance'), 'POST', `/orders/${orderNo}/reviews/finance`, { decision: 'approve' })).status).toBe(200);
  await waitForState(stack, orderNo, (s) => s.stage === 'contract_signature');
  for (let i = 0; i < 100; i++) {
    const o = await stack.prisma.order.findUniqueOrThrow({ where: { orderNo } });
    if (o.stage === 'contract_signature' && (await stack.prisma.document.count({ where: { orderId: o.id, kind: 'contract' } })) > 0) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  return orderNo;
}

it('the signature waits for sales, then the confirmation for finance, each done through the offered action', async () => {
  const orderNo = await toSignature();
  expect((await work('sales')).find((i) => i.orderNo === orderNo)).toMatchObject({ task: 'contract_signature', stage: 'contract_signature' });
  expect((await work('finance')).some((i) => i.orderNo === orderNo)).toBe(false);
  expect((await actionsOf('finance', orderNo)).some((a) => a.id === 'contract_confirmation')).toBe(false);

  const sign = (await actionsOf('sales', orderNo)).find((a) => a.id === 'contract_signature')!;
  expect(sign.fields.map((x) => [x.name, x.type, x.required])).toEqual([
    ['signedOn', 'date', true],
    ['signer', 'text', true],
    ['scan', 'file', true],
  ]);
  const signed = await browse(stack, await as('sales'), 'POST', sign.path, {
    signedOn: new Date().toISOString().slice(0, 10),
    signer: '王经理',
    scan: { fileName: 'signed.pdf', contentBase64: Buffer.from('%PDF-1.4 signed by the customer').toString('base64') },
  });
  expect(signed.status).toBe(201);

  expect((await work('sales')).some((i) => i.orderNo === orderNo)).toBe(false);
  expect((await work('finance')).find((i) => i.orderNo === orderNo)).toMatchObject({ task: 'contract_confirmation' });
  expect((await actionsOf('sales', orderNo)).some((a) => a.id === 'contract_signature')).toBe(false);
  const confirm = (await actionsOf('finance', orderNo)).find((a) => a.id === 'contract_confirmation')!;
  expect((await browse(stack, await as('finance'), 'POST', confirm.path, { comment: '条款无误' })).status).toBe(200);
  await waitForState(stack, orderNo, (s) => s.stage !== 'contract_signature');
  expect((await work('finance')).some((i) => i.orderNo === orderNo && i.task.startsWith('contract'))).toBe(false);
});

it('an invoice past its due date is overdue work for finance, on top, with negative time left; the payment action is accepted', async () => {
  const orderNo = await toSignature({ paymentTerms: 'PREPAYMENT' });
  // Prepayment: the invoice went out at confirmation. Its due date passes (moved back in the read model).
  let invoice = null;
  for (let i = 0; i < 100 && !invoice; i++) {
    invoice = await stack.prisma.invoice.findFirst({ where: { order: { orderNo } } });
    if (!invoice) await new Promise((r) => setTimeout(r, 200));
  }
  expect(invoice).not.toBeNull();
  await stack.prisma.invoice.update({ where: { id: invoice!.id }, data: { dueDate: new Date(Date.now() - 3 * 86_400_000) } });

  const items = await work('finance');
  const overdue = items.find((i) => i.orderNo === orderNo)!;
  expect(overdue).toMatchObject({ task: 'overdue_invoice', overdue: true, invoiceNo: invoice!.invoiceNo, outstanding: invoice!.amount.toFixed(2) });
  expect(overdue.secondsLeft).toBeLessThan(-2 * 86_400);
  expect(items[0].key).toBe(overdue.key);

  const pay = (await actionsOf('finance', orderNo)).find((a) => a.id === 'payment')!;
  const amount = pay.fields.find((x) => x.name === 'amount');
  expect(amount.value).toBe(invoice!.amount.toFixed(2));
  const paid = await browse(stack, await as('finance'), 'POST', pay.path, {
    amount: amount.value,
    reference: `BANK-${randomUUID().slice(0, 8)}`,
    paidAt: new Date().toISOString(),
  });
  expect(paid.status).toBe(200);
  expect(paid.body.paidInFull).toBe(true);
  expect((await actionsOf('finance', orderNo)).some((a) => a.id === 'payment')).toBe(false);
});
