/**
 * Price review (SPEC 3.2 sales pre-check "prices far from the list price",
 * 3.3 finance review "price against the price list and minimum margin",
 * 4 market risk "price below list or margin below minimum").
 *
 * Choices:
 * - Deviation is (unit - list) / list, signed, as a fraction with 4 dp;
 *   margin is (price - cost) / price on net amounts (tax excluded), 4 dp.
 * - Thresholds are compared against the rounded 4 dp figures, so what a
 *   reviewer sees is exactly what was judged.
 * - A zero list price gives no basis for comparison: deviation "0.0000",
 *   never "far". Zero revenue (or a zero unit price) has no meaningful
 *   margin: "0.0000" and marginOk false, so it is always looked at.
 */
import Decimal from 'decimal.js';
import { fixed, fmt, money, round } from './money';

export interface PricedLine {
  lineNo: number;
  sku: string;
  quantity: number;
  unitPrice: string;
  listPrice: string;
  standardCost: string;
}

export interface LinePriceReview {
  lineNo: number;
  sku: string;
  deviation: string;
  belowList: boolean;
  farFromList: boolean;
  marginOk: boolean;
}

export interface PriceReview {
  revenue: string;
  cost: string;
  /** Fraction, 4 dp. */
  margin: string;
  marginOk: boolean;
  lines: LinePriceReview[];
}

const FRACTION_DP = 4;

/** (unit - list) / list, 4 dp, signed; "0.0000" when there is no list price. */
export function priceDeviation(unitPrice: string, listPrice: string): string {
  const list = money(listPrice);
  if (list.lte(0)) return fixed(0, FRACTION_DP);
  return fixed(money(unitPrice).minus(list).div(list), FRACTION_DP);
}

/** |deviation| > allowed fraction. */
export function isFarFromList(deviation: string, allowed: string): boolean {
  return money(deviation).abs().gt(money(allowed));
}

/** (revenue - cost) / revenue, 4 dp; "0.0000" when revenue is not positive. */
export function marginOf(revenue: Decimal.Value, cost: Decimal.Value): string {
  const r = new Decimal(revenue);
  if (r.lte(0)) return fixed(0, FRACTION_DP);
  return fixed(r.minus(cost).div(r), FRACTION_DP);
}

/** Margin meets the minimum; never with no revenue. */
export function isMarginOk(revenue: Decimal.Value, margin: string, minMargin: string): boolean {
  return new Decimal(revenue).gt(0) && money(margin).gte(money(minMargin));
}

function reviewLine(l: PricedLine, p: { minMargin: string; priceDeviation: string }): LinePriceReview {
  const deviation = priceDeviation(l.unitPrice, l.listPrice);
  const unit = money(l.unitPrice);
  return {
    lineNo: l.lineNo,
    sku: l.sku,
    deviation,
    belowList: unit.lt(money(l.listPrice)),
    farFromList: isFarFromList(deviation, p.priceDeviation),
    marginOk: isMarginOk(unit, marginOf(unit, money(l.standardCost)), p.minMargin),
  };
}

export function priceReview(lines: PricedLine[], p: { minMargin: string; priceDeviation: string }): PriceReview {
  let revenue = new Decimal(0);
  let cost = new Decimal(0);
  for (const l of lines) {
    revenue = revenue.plus(round(money(l.unitPrice).times(l.quantity)));
    cost = cost.plus(round(money(l.standardCost).times(l.quantity)));
  }
  const margin = marginOf(revenue, cost);
  return {
    revenue: fmt(revenue),
    cost: fmt(cost),
    margin,
    marginOk: isMarginOk(revenue, margin, p.minMargin),
    lines: lines.map((l) => reviewLine(l, p)),
  };
}
