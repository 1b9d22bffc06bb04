/**
 * Orders made directly in the database for activity tests: the activities
 * start where intake and the workflow leave off, so the tests write the rows
 * intake would have written, with the fixture's customer and products.
 */
import { randomInt, randomUUID } from 'node:crypto';
import type { PrismaClient } from '../../generated/prisma/client';
import { orderTotals } from '../../workflows/domain/money';
import type { Stage } from '../../workflows/order/contract';

/** What createFixture returns (test/support/fixtures.ts). */
export interface FixtureIds {
  customerId: string;
  inStockProductId: string;
  mtoProductId: string;
  region: string;
}

export interface LineSpec {
  productId: string;
  quantity: number;
  unitPrice?: string;
  taxRate?: string;
}

export interface OrderSpec {
  customerId: string;
  lines: LineSpec[];
  region?: string;
  paymentTerms?: string;
  stage?: Stage;
  requestedDeliveryDate?: string;
  contactName?: string;
}

export type TestOrder = Awaited<ReturnType<typeof createOrder>>;

/** Year 2099 keeps these numbers apart from the ones intake hands out. */
const testOrderNo = () => `SO-2099-${String(randomInt(1, 1_000_000_000)).padStart(9, '0')}`;

export async function createOrder(prisma: PrismaClient, spec: OrderSpec) {
  const products = await prisma.product.findMany({ where: { id: { in: spec.lines.map((l) => l.productId) } } });
  const lines = spec.lines.map((l, i) => {
    const p = products.find((x) => x.id === l.productId);
    if (!p) throw new Error(`no product ${l.productId}`);
    return {
      lineNo: i + 1,
      productId: l.productId,
      quantity: l.quantity,
      unitPrice: l.unitPrice ?? p.listPrice.toFixed(2),
      taxRate: l.taxRate ?? '0.13',
    };
  });
  const totals = orderTotals(lines);
  const orderNo = testOrderNo();
  const now = new Date();
  const inTwoWeeks = new Date(now.getTime() + 14 * 86_400_000).toISOString().slice(0, 10);
  return prisma.order.create({
    data: {
      orderNo,
      idempotencyKey: `activity-test-${randomUUID()}`,
      requestHash: 'activity-test',
      customerId: spec.customerId,
      channel: 'api',
      contactName: spec.contactName ?? '王经理',
      contactPhone: '+86 21 5555 0101',
      contactEmail: 'wang@example.cn',
      orderDate: new Date(now.toISOString().slice(0, 10)),
      requestedDeliveryDate: new Date(spec.requestedDeliveryDate ?? inTwoWeeks),
      deliveryAddress: { recipient: '王经理', phone: '+86 21 5555 0101', region: spec.region ?? '上海', city: '上海市', line1: '浦东新区世纪大道100号', postcode: '200120' },
      paymentTerms: spec.paymentTerms ?? 'NET_30',
      currency: 'CNY',
      subtotal: totals.subtotal,
      taxAmount: totals.tax,
      totalAmount: totals.total,
      stage: spec.stage ?? 'sales_review',
      stageEnteredAt: now,
      enteredBy: 'sales',
      workflowId: `order-${orderNo}`,
      lines: { create: lines },
    },
    include: { lines: { orderBy: { lineNo: 'asc' } } },
  });
}

/** A product of its own with `onHand` in stock, so stock tests never share rows. */
export async function createStockedProduct(
  prisma: PrismaClient,
  onHand: number,
  over: { listPrice?: string; standardCost?: string; leadTimeDays?: number; dailyCapacity?: number; makeToOrder?: boolean } = {},
) {
  const sku = `T-${randomUUID().slice(0, 8)}`;
  return prisma.product.create({
    data: {
      sku,
      name: `测试产品 ${sku}`,
      listPrice: over.listPrice ?? '100.00',
      standardCost: over.standardCost ?? '60.00',
      leadTimeDays: over.leadTimeDays ?? 2,
      dailyCapacity: over.dailyCapacity ?? 10,
      weightKg: '2.5',
      makeToOrder: over.makeToOrder ?? false,
      ...(over.makeToOrder ? {} : { inventory: { create: { onHand } } }),
    },
  });
}
