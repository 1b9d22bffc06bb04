/**
 * The bench's own master data in its own database: customers with credit
 * limits no order can reach and every payment term, products with stock no
 * run can use up (so credit and stock never refuse a bench order), spread
 * over several rows so concurrent orders do not queue on one inventory lock.
 * Carriers and users come from the project's seed (prisma/seed.ts).
 */
import type { PrismaClient } from '../../activities/infra/db';
import { SEED_CARRIERS } from '../../prisma/seed';

export interface BenchFixtures {
  customerIds: string[];
  products: { id: string; sku: string; listPrice: string }[];
  region: string;
}

export const BENCH_CUSTOMERS = 50;
export const BENCH_PRODUCTS = 20;

export async function createBenchFixtures(prisma: PrismaClient): Promise<BenchFixtures> {
  const pad = (n: number, w: number) => String(n).padStart(w, '0');
  // The `sales` user owns the bench customers (a sales user sees and acts on their own customers' orders only).
  const owner = await prisma.user.findUnique({ where: { username: 'sales' }, select: { id: true } });
  await prisma.customer.createMany({
    data: Array.from({ length: BENCH_CUSTOMERS }, (_, i) => ({
      code: `BENCH-C-${pad(i + 1, 3)}`,
      name: i % 5 === 4 ? `Bench Trading ${pad(i + 1, 3)} Ltd` : `压测客户${pad(i + 1, 3)}有限公司`,
      language: i % 5 === 4 ? 'en' : 'zh',
      email: `bench-c-${pad(i + 1, 3)}@example.com`,
      creditLimit: '9999999999999.00',
      allowedPaymentTerms: ['PREPAYMENT', 'NET_15', 'NET_30', 'NET_60'],
      ownerId: owner?.id ?? null,
    })),
    skipDuplicates: true,
  });
  const customers = await prisma.customer.findMany({ where: { code: { startsWith: 'BENCH-C-' } }, orderBy: { code: 'asc' }, select: { id: true } });

  for (let i = 0; i < BENCH_PRODUCTS; i++) {
    const sku = `BENCH-P-${pad(i + 1, 2)}`;
    await prisma.product.upsert({
      where: { sku },
      update: {},
      create: {
        sku,
        name: `压测电机 ${pad(i + 1, 2)}`,
        listPrice: '1000.00',
        standardCost: '600.00',
        leadTimeDays: 2,
        dailyCapacity: 100,
        weightKg: '2.500',
        makeToOrder: false,
        inventory: { create: { onHand: 1_000_000_000, reserved: 0 } },
      },
    });
  }
  const products = await prisma.product.findMany({ where: { sku: { startsWith: 'BENCH-P-' } }, orderBy: { sku: 'asc' }, select: { id: true, sku: true, listPrice: true } });

  // A region every seeded carrier serves.
  const region = Object.keys(SEED_CARRIERS[0].rates).find((r) => SEED_CARRIERS.every((c) => r in c.rates)) ?? '上海';
  return {
    customerIds: customers.map((c) => c.id),
    products: products.map((p) => ({ id: p.id, sku: p.sku, listPrice: p.listPrice.toFixed(2) })),
    region,
  };
}

/** The intake body of bench order `i`: a normal order that passes every check (NET_30, in stock, low risk). */
export function intakeBody(f: BenchFixtures, i: number): Record<string, unknown> {
  const inTwoWeeks = new Date(Date.now() + 14 * 86_400_000).toISOString().slice(0, 10);
  const product = f.products[i % f.products.length];
  return {
    customerId: f.customerIds[i % f.customerIds.length],
    channel: 'phone',
    contact: { name: '王经理', phone: '+86 21 5555 0101', email: 'wang@example.cn' },
    requestedDeliveryDate: inTwoWeeks,
    deliveryAddress: { recipient: '王经理', phone: '+86 21 5555 0101', region: f.region, city: '上海市', line1: '浦东新区世纪大道100号', postcode: '200120' },
    paymentTerms: 'NET_30',
    lines: [{ productId: product.id, quantity: 1 + (i % 3), unitPrice: product.listPrice, taxRate: '0.13' }],
  };
}
