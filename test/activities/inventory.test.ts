import { createOrder, createStockedProduct } from './order-factory';
import { useActivityEnv, auditCount, type ActivityEnv } from './setup';

jest.setTimeout(60_000);

let env: ActivityEnv;
useActivityEnv((started) => {
  env = started;
});

const order = (lines: { productId: string; quantity: number }[]) => createOrder(env.prisma, { customerId: env.fixture.customerId, lines });

async function stock(productId: string) {
  const inv = await env.prisma.inventory.findUniqueOrThrow({ where: { productId } });
  const held = await env.prisma.reservation.aggregate({ where: { productId, status: 'reserved' }, _sum: { quantity: true } });
  return { onHand: inv.onHand, reserved: inv.reserved, sumOfReservations: held._sum.quantity ?? 0 };
}

test('reserves what is in stock; a retry returns the same answer and reserves nothing more', async () => {
  const p = await createStockedProduct(env.prisma, 10);
  const mto = await createStockedProduct(env.prisma, 0, { makeToOrder: true });
  const o = await order([
    { productId: p.id, quantity: 4 },
    { productId: mto.id, quantity: 3 },
  ]);
  const first = await env.acts.reserveStock({ orderId: o.id });
  expect(first.lines).toEqual([
    { lineId: o.lines[0].id, sku: p.sku, quantity: 4, reserved: 4, shortfall: 0 },
    { lineId: o.lines[1].id, sku: mto.sku, quantity: 3, reserved: 0, shortfall: 3 },
  ]);
  const again = await env.acts.reserveStock({ orderId: o.id });
  expect(again).toEqual(first);
  expect(await stock(p.id)).toEqual({ onHand: 10, reserved: 4, sumOfReservations: 4 });
  expect(await env.prisma.reservation.count({ where: { orderId: o.id } })).toBe(2);
  expect(await auditCount(env.prisma, `reserve:${o.id}`)).toBe(1);
});

test('a shortfall reserves what there is', async () => {
  const p = await createStockedProduct(env.prisma, 3);
  const o = await order([{ productId: p.id, quantity: 5 }]);
  const r = await env.acts.reserveStock({ orderId: o.id });
  expect(r.lines[0]).toMatchObject({ reserved: 3, shortfall: 2 });
  expect(await stock(p.id)).toEqual({ onHand: 3, reserved: 3, sumOfReservations: 3 });
});

test('two lines of one order for the same product share its stock', async () => {
  const p = await createStockedProduct(env.prisma, 5);
  const o = await order([
    { productId: p.id, quantity: 4 },
    { productId: p.id, quantity: 4 },
  ]);
  const r = await env.acts.reserveStock({ orderId: o.id });
  expect(r.lines.map((l) => [l.reserved, l.shortfall])).toEqual([
    [4, 0],
    [1, 3],
  ]);
  expect(await stock(p.id)).toEqual({ onHand: 5, reserved: 5, sumOfReservations: 5 });
});

test('concurrent orders for the same stock never over-reserve and their shortfalls add up', async () => {
  const p = await createStockedProduct(env.prisma, 10);
  const orders = await Promise.all(Array.from({ length: 6 }, () => order([{ productId: p.id, quantity: 4 }])));
  // every order twice at once: concurrent orders and concurrent retries
  const results = await Promise.all([...orders, ...orders].map((o) => env.acts.reserveStock({ orderId: o.id })));
  const byOrder = new Map<string, number>();
  results.forEach((r, i) => {
    const id = [...orders, ...orders][i].id;
    if (byOrder.has(id)) expect(r.lines[0].reserved).toBe(byOrder.get(id));
    byOrder.set(id, r.lines[0].reserved);
  });
  const firsts = results.slice(0, orders.length).map((r) => r.lines[0]);
  const reserved = firsts.reduce((s, l) => s + l.reserved, 0);
  const shortfall = firsts.reduce((s, l) => s + l.shortfall, 0);
  expect(reserved).toBe(10);
  expect(shortfall).toBe(6 * 4 - 10);
  expect(await stock(p.id)).toEqual({ onHand: 10, reserved: 10, sumOfReservations: 10 });
});

test('orders locking two products in opposite line order do not deadlock', async () => {
  const a = await createStockedProduct(env.prisma, 6);
  const b = await createStockedProduct(env.prisma, 6);
  const o1 = await order([
    { productId: a.id, quantity: 4 },
    { productId: b.id, quantity: 4 },
  ]);
  const o2 = await order([
    { productId: b.id, quantity: 4 },
    { productId: a.id, quantity: 4 },
  ]);
  const [r1, r2] = await Promise.all([env.acts.reserveStock({ orderId: o1.id }), env.acts.reserveStock({ orderId: o2.id })]);
  const total = [...r1.lines, ...r2.lines].reduce((s, l) => s + l.reserved, 0);
  expect(total).toBe(12);
  expect(await stock(a.id)).toEqual({ onHand: 6, reserved: 6, sumOfReservations: 6 });
  expect(await stock(b.id)).toEqual({ onHand: 6, reserved: 6, sumOfReservations: 6 });
});

test('an unknown order is NotFound', async () => {
  await expect(env.acts.reserveStock({ orderId: 'missing' })).rejects.toMatchObject({ type: 'NotFound', nonRetryable: true });
});
