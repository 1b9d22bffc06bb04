/**
 * The automatic checks shown with the sales and finance review tasks (SPEC
 * 3.2, 3.3). The rules are the domain's (prechecks.ts, pricing.ts,
 * credit.ts); this module only gathers the figures from the database.
 * Read-only, so a retry is harmless.
 *
 * Credit exposure: open receivables = sum of (amount - paid) over the
 * customer's open invoices; open orders = total of the customer's other
 * orders that are not closed, rejected or cancelled and not yet invoiced;
 * every amount converted into the customer's credit currency first.
 */
import Decimal from 'decimal.js';
import type { ActivityDeps } from './index';
import { Prisma, type PrismaClient } from '../generated/prisma/client';
import { TERMINAL_STAGES, type OrderChanges } from '../workflows/order/contract';
import { creditExposure, creditLimitOf, sumIn, type CreditExposure, type ExchangeRates } from '../workflows/domain/credit';
import { fixed, fmt, money, orderTotals } from '../workflows/domain/money';
import { priceReview, type PriceReview, type PricedLine } from '../workflows/domain/pricing';
import { salesPrechecks as precheckRules } from '../workflows/domain/prechecks';
import { sqlOf } from './infra/db';
import { loadOrderWithLines, type OrderWithLines } from './order-graph';
import { checkChanges, mergeLines } from './changes';
import { DEFAULT_POLICY } from '../workflows/domain/policy';

export interface FinanceCheck {
  credit: CreditExposure;
  price: PriceReview;
  termsAllowed: boolean;
  problems: string[];
}

/**
 * Open receivables and open orders of the order's customer, this order
 * excluded (one statement), each summed per currency and converted into
 * `creditCurrency` (credit.ts): amounts of different currencies are never
 * added as they are.
 */
export async function creditFigures(
  prisma: PrismaClient,
  customerId: string,
  excludeOrderId: string,
  creditCurrency: string,
  rates: ExchangeRates,
): Promise<{ openReceivables: string; openOrders: string }> {
  const rows = await sqlOf(prisma).query<{ kind: 'receivables' | 'orders'; currency: string; amount: string }>(
    `SELECT 'receivables' AS kind, currency, sum(amount - paid)::text AS amount FROM invoices
      WHERE customer_id = $1 AND status = 'open' GROUP BY currency
     UNION ALL
     SELECT 'orders', o.currency, sum(o.total_amount)::text FROM orders o
      WHERE o.customer_id = $1 AND o.id <> $2 AND o.stage <> ALL($3::text[])
        AND NOT EXISTS (SELECT 1 FROM invoices i WHERE i.order_id = o.id)
      GROUP BY o.currency`,
    [customerId, excludeOrderId, [...TERMINAL_STAGES]],
  );
  const of = (kind: string) => rows.filter((r) => r.kind === kind);
  return { openReceivables: sumIn(of('receivables'), creditCurrency, rates), openOrders: sumIn(of('orders'), creditCurrency, rates) };
}

type Dec = { toFixed(dp: number): string };

/**
 * Exchange rates are reference data, not a rule an order keeps: they come
 * from the process's current policy (ActivityDeps.policy, POLICY_FILE), not
 * the copy in the order's workflow input.
 */
export const ratesOf = (deps: Pick<ActivityDeps, 'policy'>): ExchangeRates => (deps.policy ?? DEFAULT_POLICY).exchangeRates;

/** The order's credit exposure from the stored figures, in the customer's credit currency; the finance check and the risk assessment read it alike. */
export async function creditOf(
  prisma: PrismaClient,
  order: { id: string; customerId: string; currency: string; totalAmount: Dec; customer: { creditLimit: Dec; creditCurrency: string; creditHold: boolean } },
  rates: ExchangeRates,
): Promise<CreditExposure> {
  const to = order.customer.creditCurrency;
  const figures = await creditFigures(prisma, order.customerId, order.id, to, rates);
  return creditExposure({
    creditLimit: order.customer.creditLimit.toFixed(2),
    ...figures,
    thisOrder: sumIn([{ currency: order.currency, amount: order.totalAmount.toFixed(2) }], to, rates),
    creditHold: order.customer.creditHold,
  });
}

/** The order's priced lines for the price rules; the checks and the risk assessment price the same lines. */
export function pricedLines(order: {
  lines: { lineNo: number; quantity: number; unitPrice: Dec; product: { sku: string; listPrice: Dec; standardCost: Dec } }[];
}): PricedLine[] {
  // A line a change left out keeps its row with quantity 0: nothing to price.
  return order.lines.filter((l) => l.quantity > 0).map((l) => ({
    lineNo: l.lineNo,
    sku: l.product.sku,
    quantity: l.quantity,
    unitPrice: l.unitPrice.toFixed(2),
    listPrice: l.product.listPrice.toFixed(2),
    standardCost: l.product.standardCost.toFixed(2),
  }));
}

const isoDate = (d: Date) => d.toISOString().slice(0, 10);

export async function salesPrechecks(
  deps: ActivityDeps,
  a: { orderId: string; priceDeviation: string },
): Promise<{ problems: string[] }> {
  const order = await loadOrderWithLines(sqlOf(deps.prisma), a.orderId);
  const credit = await creditOf(deps.prisma, order, ratesOf(deps));
  const address = (order.deliveryAddress ?? {}) as { region?: string; city?: string; line1?: string };
  const problems = precheckRules({
    lines: pricedLines(order),
    requestedDeliveryDate: isoDate(order.requestedDeliveryDate),
    orderDate: isoDate(order.orderDate),
    contactName: order.contactName,
    address,
    credit,
    priceDeviation: a.priceDeviation,
  });
  // Products are looked up here: a line whose product is no longer sold.
  for (const l of order.lines)
    if (!l.product.active) problems.push(`line ${l.lineNo} (${l.product.sku}): product is no longer active`);
  return { problems };
}

const pct = (fraction: string) => `${fixed(new Decimal(fraction).times(100), 2)}%`;

/**
 * The order as it would be with `changes` applied (lines merged as
 * applyOrderChanges merges them, totals recomputed, terms replaced); nothing
 * is written. Unknown or inactive products are BadInput, as when applying.
 */
async function asIfChanged(prisma: PrismaClient, order: OrderWithLines, changes: OrderChanges): Promise<OrderWithLines> {
  const products = await checkChanges(prisma, changes);
  const lines: OrderWithLines['lines'] = changes.lines
    ? mergeLines(order.lines, changes.lines).map((m) => {
        const base = m.existing ?? { id: '', orderId: order.id, specification: null };
        const product = m.existing?.product ?? products.get(m.productId)!;
        return {
          ...base,
          lineNo: m.lineNo,
          productId: m.productId,
          product,
          quantity: m.quantity,
          specification: m.next?.specification ?? base.specification,
          unitPrice: m.next ? new Prisma.Decimal(m.next.unitPrice) : m.existing!.unitPrice,
          taxRate: m.next ? new Prisma.Decimal(m.next.taxRate) : m.existing!.taxRate,
        };
      })
    : order.lines;
  const totals = orderTotals(
    lines.filter((l) => l.quantity > 0).map((l) => ({ quantity: l.quantity, unitPrice: l.unitPrice.toFixed(2), taxRate: l.taxRate.toFixed(4) })),
  );
  return {
    ...order,
    lines,
    subtotal: new Prisma.Decimal(totals.subtotal),
    taxAmount: new Prisma.Decimal(totals.tax),
    totalAmount: new Prisma.Decimal(totals.total),
    paymentTerms: changes.paymentTerms ?? order.paymentTerms,
  };
}

/** With `changes`: the checks of the order as if they were applied (nothing is written). */
export async function financeCheck(
  deps: ActivityDeps,
  a: { orderId: string; minMargin: string; priceDeviation: string; changes?: OrderChanges },
): Promise<FinanceCheck> {
  const loaded = await loadOrderWithLines(sqlOf(deps.prisma), a.orderId);
  const order = a.changes ? await asIfChanged(deps.prisma, loaded, a.changes) : loaded;
  const credit = await creditOf(deps.prisma, order, ratesOf(deps));
  const price = priceReview(pricedLines(order), { minMargin: a.minMargin, priceDeviation: a.priceDeviation });
  const allowed = order.customer.allowedPaymentTerms;
  const termsAllowed = allowed.includes(order.paymentTerms);

  const problems: string[] = [];
  if (credit.creditHold) problems.push('customer is on credit hold');
  if (!credit.withinLimit) problems.push(`credit exposure ${credit.exposure} exceeds limit ${creditLimitOf(credit)}`);
  if (!price.marginOk) problems.push(`order margin ${pct(price.margin)} is below the minimum ${pct(a.minMargin)}`);
  for (const l of price.lines) {
    if (l.farFromList) problems.push(`line ${l.lineNo} (${l.sku}): unit price is ${pct(l.deviation)} from list`);
    if (!l.marginOk) problems.push(`line ${l.lineNo} (${l.sku}): margin below the minimum ${pct(a.minMargin)}`);
  }
  if (!termsAllowed)
    problems.push(
      `payment terms ${order.paymentTerms} are not allowed for this customer (allowed: ${allowed.join(', ') || 'none'})`,
    );
  return { credit, price, termsAllowed, problems };
}
