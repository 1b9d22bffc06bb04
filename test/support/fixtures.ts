/**
 * Master data of one test's own: a fresh customer (unique code, Chinese name,
 * a contact) and two fresh products, one in stock and one made to order, so
 * test files running in parallel never fight over shared rows. The region is
 * one all seeded carriers serve. The customer is owned by the seeded `sales`
 * user (the record-level rule: a sales user sees their own customers' orders).
 */
import { randomBytes } from 'node:crypto';
import type { PrismaClient } from '../../activities/infra/db';

export interface FixtureOptions {
  /** Decimal string; default "1000000.00". */
  creditLimit?: string;
  creditHold?: boolean;
  language?: 'zh' | 'en';
  /** On-hand stock of the in-stock product; default 100. */
  onHand?: number;
  /** Default: every payment term of the default policy. */
  allowedPaymentTerms?: string[];
  /** The sales user who owns the customer; default `sales`; null: nobody. */
  ownerUsername?: string | null;
}

export interface Fixture {
  customerId: string;
  customerCode: string;
  /** The customer's email address (customer-facing emails go here). */
  customerEmail: string;
  customerName: string;
  inStockProductId: string;
  inStockSku: string;
  mtoProductId: string;
  mtoSku: string;
  /** A province every seeded carrier (SF, ZTO, JDL) serves. */
  region: string;
}

/** Prices of the fixture products (list price, standard cost), for tests that compute margins. */
export const FIXTURE_PRICES = {
  inStock: { listPrice: '1000.00', standardCost: '600.00', weightKg: '2.500', leadTimeDays: 2, dailyCapacity: 10 },
  mto: { listPrice: '5000.00', standardCost: '3200.00', weightKg: '40.000', leadTimeDays: 5, dailyCapacity: 4 },
} as const;

export const FIXTURE_REGION = '上海';

export async function createFixture(prisma: PrismaClient, opts: FixtureOptions = {}): Promise<Fixture> {
  const suffix = randomBytes(5).toString('hex').toUpperCase();
  const customerCode = `T-${suffix}`;
  const customerEmail = `buyer-${suffix.toLowerCase()}@example.com`;
  const language = opts.language ?? 'zh';
  const customerName = language === 'en' ? `Test Trading ${suffix} Ltd` : `测试华东贸易有限公司${suffix}`;

  const ownerUsername = opts.ownerUsername === undefined ? 'sales' : opts.ownerUsername;
  const owner = ownerUsername === null ? null : await prisma.user.findUniqueOrThrow({ where: { username: ownerUsername }, select: { id: true } });

  const customer = await prisma.customer.create({
    data: {
      code: customerCode,
      name: customerName,
      language,
      email: customerEmail,
      creditLimit: opts.creditLimit ?? '1000000.00',
      creditHold: opts.creditHold ?? false,
      creditHoldReason: opts.creditHold ? '测试：信用冻结' : null,
      allowedPaymentTerms: opts.allowedPaymentTerms ?? ['PREPAYMENT', 'NET_15', 'NET_30', 'NET_60'],
      ownerId: owner?.id ?? null,
      contacts: {
        create: { name: language === 'en' ? 'Alex Chen' : '王小明', email: customerEmail, phone: '+86 21 5555 0000' },
      },
    },
  });

  const inStockSku = `T-IS-${suffix}`;
  const inStock = await prisma.product.create({
    data: {
      sku: inStockSku,
      name: `测试电机 ${suffix}`,
      listPrice: FIXTURE_PRICES.inStock.listPrice,
      standardCost: FIXTURE_PRICES.inStock.standardCost,
      leadTimeDays: FIXTURE_PRICES.inStock.leadTimeDays,
      dailyCapacity: FIXTURE_PRICES.inStock.dailyCapacity,
      weightKg: FIXTURE_PRICES.inStock.weightKg,
      makeToOrder: false,
      inventory: { create: { onHand: opts.onHand ?? 100, reserved: 0 } },
    },
  });

  const mtoSku = `T-MTO-${suffix}`;
  const mto = await prisma.product.create({
    data: {
      sku: mtoSku,
      name: `测试定制控制柜 ${suffix}`,
      listPrice: FIXTURE_PRICES.mto.listPrice,
      standardCost: FIXTURE_PRICES.mto.standardCost,
      leadTimeDays: FIXTURE_PRICES.mto.leadTimeDays,
      dailyCapacity: FIXTURE_PRICES.mto.dailyCapacity,
      weightKg: FIXTURE_PRICES.mto.weightKg,
      makeToOrder: true,
      inventory: { create: { onHand: 0, reserved: 0 } },
    },
  });

  return {
    customerId: customer.id,
    customerCode,
    customerEmail,
    customerName,
    inStockProductId: inStock.id,
    inStockSku,
    mtoProductId: mto.id,
    mtoSku,
    region: FIXTURE_REGION,
  };
}
