/**
 * Master data for a working system on first start: customers, products with
 * inventory, carriers with rate tables, one user per role (plus a second
 * sales, finance and sales manager user, for the record-level rule and
 * segregation of duties), and the carrier webhook's service user. Customers
 * are owned by the `sales` user, the last one by `sales2`.
 *
 * Idempotent: every row is keyed by its business key (customer code, SKU,
 * carrier code, username; fixed ids for contacts) and only created when
 * missing, so it runs on every start and never overwrites what people have
 * changed since (credit limits, holds, stock levels).
 *
 *   tsx prisma/seed.ts          (DATABASE_URL from the environment or the default)
 */
import type { PrismaClient } from '../generated/prisma/client';
import { ROLES, type Role } from '../workflows/domain/policy';
import { setPassword } from '../api/auth/passwords';

/** Service callers' roles (api/auth/roles.ts SERVICE_ROLES). */
type ServiceRole = 'carrier';

export interface SeedCustomer {
  code: string;
  name: string;
  language: 'zh' | 'en';
  email: string;
  creditLimit: string;
  allowedPaymentTerms: string[];
  contact: { name: string; email: string; phone: string };
  /**
   * Usual delivery address. Customers have no address column (the address is
   * recorded per order); demos, the bench and the README use this one.
   */
  address: { recipient: string; phone: string; region: string; city: string; line1: string; postcode: string };
}

export const SEED_CUSTOMERS: SeedCustomer[] = [
  {
    code: 'C-SH-001',
    name: '上海华东机电有限公司',
    language: 'zh',
    email: 'purchasing@huadong-jd.example.com',
    creditLimit: '2000000.00',
    allowedPaymentTerms: ['PREPAYMENT', 'NET_30', 'NET_60'],
    contact: { name: '王伟', email: 'wang.wei@huadong-jd.example.com', phone: '+86 21 5888 1234' },
    address: { recipient: '王伟', phone: '+86 21 5888 1234', region: '上海', city: '上海市', line1: '浦东新区张江路 88 号 3 号楼', postcode: '201203' },
  },
  {
    code: 'C-SZ-001',
    name: '深圳南方电子科技有限公司',
    language: 'zh',
    email: 'caigou@nanfang-tech.example.com',
    creditLimit: '1000000.00',
    allowedPaymentTerms: ['PREPAYMENT', 'NET_15', 'NET_30'],
    contact: { name: '李娜', email: 'li.na@nanfang-tech.example.com', phone: '+86 755 8666 5678' },
    address: { recipient: '李娜', phone: '+86 755 8666 5678', region: '广东', city: '深圳市', line1: '南山区科技园南区高新南一道 6 号', postcode: '518057' },
  },
  {
    // Close to its credit limit: a limit of 60,000 CNY means an ordinary order
    // (a few motors or one control cabinet) exceeds it, so finance review shows
    // the credit check failing without seeding open invoices or orders.
    code: 'C-BJ-001',
    name: '北京北辰贸易有限公司',
    language: 'zh',
    email: 'order@beichen-trade.example.com',
    creditLimit: '60000.00',
    allowedPaymentTerms: ['PREPAYMENT', 'NET_15'],
    contact: { name: '张强', email: 'zhang.qiang@beichen-trade.example.com', phone: '+86 10 6789 4321' },
    address: { recipient: '张强', phone: '+86 10 6789 4321', region: '北京', city: '北京市', line1: '朝阳区北辰东路 8 号汇宾大厦 1206 室', postcode: '100101' },
  },
  {
    code: 'C-HZ-001',
    name: '杭州西湖精密仪器有限公司',
    language: 'zh',
    email: 'supply@xihu-instruments.example.com',
    creditLimit: '800000.00',
    allowedPaymentTerms: ['PREPAYMENT', 'NET_30'],
    contact: { name: '陈静', email: 'chen.jing@xihu-instruments.example.com', phone: '+86 571 8765 2468' },
    address: { recipient: '陈静', phone: '+86 571 8765 2468', region: '浙江', city: '杭州市', line1: '西湖区文三路 259 号昌地火炬大厦 A 座 5 楼', postcode: '310012' },
  },
  {
    code: 'C-EN-001',
    name: 'Pacific Trading Ltd',
    language: 'en',
    email: 'procurement@pacific-trading.example.com',
    creditLimit: '1500000.00',
    allowedPaymentTerms: ['PREPAYMENT', 'NET_30', 'NET_60'],
    contact: { name: 'Emily Carter', email: 'emily.carter@pacific-trading.example.com', phone: '+86 512 6250 1100' },
    address: { recipient: 'Emily Carter', phone: '+86 512 6250 1100', region: '江苏', city: '苏州市', line1: '工业园区星湖街 328 号 Building 2', postcode: '215123' },
  },
];

export interface SeedProduct {
  sku: string;
  name: string;
  listPrice: string;
  standardCost: string;
  leadTimeDays: number;
  dailyCapacity: number;
  weightKg: string;
  makeToOrder: boolean;
  onHand: number;
}

export const SEED_PRODUCTS: SeedProduct[] = [
  // In stock.
  { sku: 'MTR-Y2-132M-4', name: '三相异步电动机 Y2-132M-4 7.5kW', listPrice: '3200.00', standardCost: '2350.00', leadTimeDays: 3, dailyCapacity: 40, weightKg: '68.000', makeToOrder: false, onHand: 200 },
  { sku: 'PLC-1214C', name: 'PLC 控制器 CPU 1214C DC/DC/DC', listPrice: '2800.00', standardCost: '1900.00', leadTimeDays: 5, dailyCapacity: 30, weightKg: '0.600', makeToOrder: false, onHand: 150 },
  { sku: 'SEN-PT100-150', name: 'PT100 铂电阻温度传感器 150mm', listPrice: '180.00', standardCost: '95.00', leadTimeDays: 2, dailyCapacity: 500, weightKg: '0.200', makeToOrder: false, onHand: 2000 },
  { sku: 'CBL-RVV-3X2.5', name: 'RVV 护套电缆 3×2.5mm² (100m/卷)', listPrice: '420.00', standardCost: '300.00', leadTimeDays: 2, dailyCapacity: 200, weightKg: '12.000', makeToOrder: false, onHand: 300 },
  // Made to order: never in stock, every unit goes through production.
  { sku: 'CAB-CTRL-STD', name: '定制电气控制柜 (含 PLC 及变频器)', listPrice: '48000.00', standardCost: '36000.00', leadTimeDays: 10, dailyCapacity: 2, weightKg: '180.000', makeToOrder: true, onHand: 0 },
  { sku: 'GBX-R87-CUSTOM', name: '斜齿轮减速机 R87 (定制速比)', listPrice: '15600.00', standardCost: '11200.00', leadTimeDays: 7, dailyCapacity: 5, weightKg: '95.000', makeToOrder: true, onHand: 0 },
];

export interface SeedCarrier {
  code: string;
  name: string;
  transitDays: number;
  reliability: string;
  /** Region (province) -> rate. The service areas are exactly the regions with a rate. */
  rates: Record<string, { baseFee: string; perKg: string }>;
}

export const SEED_CARRIERS: SeedCarrier[] = [
  {
    // Fast and expensive.
    code: 'SF',
    name: '顺丰速运',
    transitDays: 1,
    reliability: '0.985',
    rates: {
      上海: { baseFee: '22.00', perKg: '6.5000' },
      江苏: { baseFee: '22.00', perKg: '6.8000' },
      浙江: { baseFee: '22.00', perKg: '6.8000' },
      广东: { baseFee: '23.00', perKg: '7.5000' },
      北京: { baseFee: '23.00', perKg: '7.8000' },
      山东: { baseFee: '23.00', perKg: '7.2000' },
      四川: { baseFee: '25.00', perKg: '8.5000' },
      湖北: { baseFee: '24.00', perKg: '7.8000' },
    },
  },
  {
    // Cheap and slower.
    code: 'ZTO',
    name: '中通快递',
    transitDays: 3,
    reliability: '0.940',
    rates: {
      上海: { baseFee: '8.00', perKg: '1.8000' },
      江苏: { baseFee: '8.00', perKg: '2.0000' },
      浙江: { baseFee: '8.00', perKg: '2.0000' },
      广东: { baseFee: '10.00', perKg: '2.6000' },
      北京: { baseFee: '10.00', perKg: '2.8000' },
      山东: { baseFee: '9.00', perKg: '2.4000' },
      四川: { baseFee: '12.00', perKg: '3.2000' },
      湖北: { baseFee: '10.00', perKg: '2.6000' },
      新疆: { baseFee: '20.00', perKg: '6.0000' },
    },
  },
  {
    // In between: freight-friendly for heavy goods, fewer regions.
    code: 'JDL',
    name: '京东物流',
    transitDays: 2,
    reliability: '0.970',
    rates: {
      上海: { baseFee: '15.00', perKg: '3.2000' },
      江苏: { baseFee: '15.00', perKg: '3.4000' },
      浙江: { baseFee: '15.00', perKg: '3.4000' },
      广东: { baseFee: '16.00', perKg: '3.8000' },
      北京: { baseFee: '15.00', perKg: '3.5000' },
      湖北: { baseFee: '16.00', perKg: '3.8000' },
    },
  },
];

export interface SeedUser {
  username: string;
  name: string;
  role: Role | ServiceRole;
  /** A machine caller: its tokens are of kind `service`. */
  service?: boolean;
}

const ROLE_NAMES: Record<Role, string> = {
  sales: '张明',
  sales_manager: '刘洋',
  finance: '陈芳',
  finance_manager: '赵磊',
  production: '孙强',
  logistics: '周杰',
  marketing: 'Grace Wu',
  admin: 'System Admin',
  auditor: '郑华',
};

/** One user per role, username = role name, a second sales, finance and sales manager user, and the carrier webhook. */
export const SEED_USERS: SeedUser[] = [
  ...ROLES.map((role) => ({ username: role, name: ROLE_NAMES[role], role })),
  { username: 'sales2', name: '林晓', role: 'sales' },
  { username: 'finance2', name: '黄丽', role: 'finance' },
  { username: 'sales_manager2', name: '吴刚', role: 'sales_manager' },
  { username: 'carrier-webhook', name: 'Carrier webhook', role: 'carrier', service: true },
];

/** Who owns the seeded customers: `sales`, except the last one (`sales2`). */
export const seedCustomerOwner = (index: number): string => (index === SEED_CUSTOMERS.length - 1 ? 'sales2' : 'sales');

export const emailOf = (username: string): string => `${username}@example.com`;

/**
 * The console password of a seeded person, for a demo on one machine
 * (`npm start` prints them): deterministic, so the README can name them. Set
 * only while the user has none, so a password changed since is kept. Service
 * callers get none: they use tokens.
 */
export const demoPasswordOf = (username: string): string => `demo-${username}`;

export interface SeedResult {
  customers: number;
  products: number;
  carriers: number;
  users: number;
}

/** Creates whatever master data is missing; returns how many rows of each kind exist in the seed set. */
export async function seed(prisma: PrismaClient): Promise<SeedResult> {
  const userIds = new Map<string, string>();
  for (const u of SEED_USERS) {
    const row = await prisma.user.upsert({
      where: { username: u.username },
      update: {},
      create: { username: u.username, name: u.name, email: emailOf(u.username), role: u.role },
    });
    userIds.set(u.username, row.id);
    if (!u.service && row.passwordHash === null) await setPassword(prisma, row.id, demoPasswordOf(u.username));
  }

  for (const [i, c] of SEED_CUSTOMERS.entries()) {
    const ownerId = userIds.get(seedCustomerOwner(i));
    // An account nobody owns gets its seeded owner; an owner set since is kept.
    await prisma.customer.updateMany({ where: { code: c.code, ownerId: null }, data: { ownerId } });
    const customer = await prisma.customer.upsert({
      where: { code: c.code },
      update: {},
      create: {
        code: c.code,
        name: c.name,
        language: c.language,
        email: c.email,
        creditLimit: c.creditLimit,
        allowedPaymentTerms: c.allowedPaymentTerms,
        ownerId,
      },
    });
    await prisma.contact.upsert({
      where: { id: `seed-contact-${c.code}` },
      update: {},
      create: { id: `seed-contact-${c.code}`, customerId: customer.id, ...c.contact },
    });
  }

  for (const p of SEED_PRODUCTS) {
    const { onHand, ...fields } = p;
    const product = await prisma.product.upsert({ where: { sku: p.sku }, update: {}, create: fields });
    await prisma.inventory.upsert({
      where: { productId: product.id },
      update: {},
      create: { productId: product.id, onHand, reserved: 0 },
    });
  }

  for (const c of SEED_CARRIERS) {
    const carrier = await prisma.carrier.upsert({
      where: { code: c.code },
      update: {},
      create: {
        code: c.code,
        name: c.name,
        serviceAreas: Object.keys(c.rates),
        transitDays: c.transitDays,
        reliability: c.reliability,
      },
    });
    for (const [region, rate] of Object.entries(c.rates)) {
      await prisma.carrierRate.upsert({
        where: { carrierId_region: { carrierId: carrier.id, region } },
        update: {},
        create: { carrierId: carrier.id, region, baseFee: rate.baseFee, perKg: rate.perKg },
      });
    }
  }

  return {
    customers: SEED_CUSTOMERS.length,
    products: SEED_PRODUCTS.length,
    carriers: SEED_CARRIERS.length,
    users: SEED_USERS.length,
  };
}

async function main(): Promise<void> {
  const { loadConfig } = await import('../activities/infra/config');
  const { createPrisma } = await import('../activities/infra/db');
  const prisma = createPrisma(loadConfig().databaseUrl);
  try {
    const r = await seed(prisma);
    console.log(`[seed] master data present: ${r.customers} customers, ${r.products} products, ${r.carriers} carriers, ${r.users} users`);
  } finally {
    await prisma.$disconnect();
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error('[seed] failed:', err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
