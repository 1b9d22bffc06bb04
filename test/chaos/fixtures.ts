/**
 * Master data of a chaos run, in its own database (seeded users, carriers
 * and products from prisma/seed.ts are there already): customers owned by
 * the `sales` user with every payment term, in-stock products with little
 * enough stock that concurrent orders compete for it (and the rest goes to
 * production), made-to-order products, a second production and logistics
 * user (two people who can act on the same thing at once), and a bearer
 * token for each acting user.
 */
import type { PrismaClient } from '../../activities/infra/db';
import { issueToken } from '../../api/auth/tokens';
import { SEED_CARRIERS } from '../../prisma/seed';

export interface ChaosFixtures {
  customerIds: string[];
  stockProducts: { id: string; listPrice: string }[];
  mtoProducts: { id: string; listPrice: string }[];
  /** A region every carrier serves. */
  region: string;
  /** A region no carrier serves (booking cannot succeed), if there is one. */
  unservedRegion?: string;
}

const pad = (n: number, w = 3) => String(n).padStart(w, '0');

export async function createChaosFixtures(prisma: PrismaClient, opts: { customers: number; stockPerProduct: number }): Promise<ChaosFixtures> {
  const owner = await prisma.user.findUniqueOrThrow({ where: { username: 'sales' }, select: { id: true } });
  for (const [username, role] of [['production2', 'production'], ['logistics2', 'logistics']] as const)
    await prisma.user.upsert({ where: { username }, update: {}, create: { username, name: username, email: `${username}@example.com`, role } });

  await prisma.customer.createMany({
    data: Array.from({ length: opts.customers }, (_, i) => ({
      code: `CHAOS-C-${pad(i + 1)}`,
      name: i % 4 === 3 ? `Chaos Trading ${pad(i + 1)} Ltd` : `混沌测试客户${pad(i + 1)}有限公司`,
      language: i % 4 === 3 ? 'en' : 'zh',
      email: `chaos-c-${pad(i + 1)}@example.com`,
      creditLimit: '100000000.00',
      allowedPaymentTerms: ['PREPAYMENT', 'NET_15', 'NET_30', 'NET_60'],
      ownerId: owner.id,
    })),
    skipDuplicates: true,
  });
  const customers = await prisma.customer.findMany({ where: { code: { startsWith: 'CHAOS-C-' } }, orderBy: { code: 'asc' }, select: { id: true } });

  const product = (sku: string, name: string, listPrice: string, makeToOrder: boolean, onHand: number) =>
    prisma.product.upsert({
      where: { sku },
      update: {},
      create: {
        sku,
        name,
        listPrice,
        standardCost: (Number(listPrice) * 0.6).toFixed(2),
        leadTimeDays: makeToOrder ? 3 : 2,
        dailyCapacity: 50,
        weightKg: makeToOrder ? '20.000' : '2.500',
        makeToOrder,
        inventory: { create: { onHand, reserved: 0 } },
      },
      select: { id: true, listPrice: true },
    });
  const stock = [];
  for (let i = 1; i <= 4; i++) stock.push(await product(`CHAOS-S-${pad(i, 2)}`, `混沌电机 ${i}`, '1000.00', false, opts.stockPerProduct));
  const mto = [];
  for (let i = 1; i <= 2; i++) mto.push(await product(`CHAOS-M-${pad(i, 2)}`, `混沌定制柜 ${i}`, '5000.00', true, 0));

  const served = Object.keys(SEED_CARRIERS[0].rates).filter((r) => SEED_CARRIERS.every((c) => r in c.rates));
  const all = new Set(SEED_CARRIERS.flatMap((c) => Object.keys(c.rates)));
  return {
    customerIds: customers.map((c) => c.id),
    stockProducts: stock.map((p) => ({ id: p.id, listPrice: p.listPrice.toFixed(2) })),
    mtoProducts: mto.map((p) => ({ id: p.id, listPrice: p.listPrice.toFixed(2) })),
    region: served[0] ?? '上海',
    unservedRegion: all.has('西藏') ? undefined : '西藏',
  };
}

/** One bearer token per user, valid a day, for this run's database. */
export async function issueChaosTokens(prisma: PrismaClient, users: string[], runId: string): Promise<Record<string, string>> {
  const tokens: Record<string, string> = {};
  for (const username of users) tokens[username] = (await issueToken(prisma, { username, name: `chaos ${runId}`, ttlDays: 1 })).token;
  return tokens;
}
