/**
 * Money (SPEC "Language and money"): amounts are decimal, never floating
 * point; tax is a rate per order line.
 *
 * Choices:
 * - decimal.js for every calculation; amounts travel as decimal strings.
 * - Half-up rounding to 2 places, applied per line (net, then tax on the
 *   rounded net), and order totals are sums of the rounded line values, so
 *   an invoice adds up line by line exactly as printed.
 * - We never touch decimal.js's global configuration; rounding is passed
 *   explicitly so other modules cannot change these results.
 */
import Decimal from 'decimal.js';

export const ROUNDING = Decimal.ROUND_HALF_UP;

/** A decimal.js instance; throws on anything that is not a finite number. */
export function money(x: string | number): Decimal {
  const d = new Decimal(typeof x === 'string' ? x.trim() : x);
  if (!d.isFinite()) throw new Error(`not a finite amount: ${String(x)}`);
  return d;
}

/** Round half-up to `dp` places (as Decimal). */
export function round(x: Decimal.Value, dp = 2): Decimal {
  return new Decimal(x).toDecimalPlaces(dp, ROUNDING);
}

/** Fixed-point string with `dp` places, half-up; never "-0.00". */
export function fixed(x: Decimal.Value, dp: number): string {
  const r = round(x, dp);
  return (r.isZero() ? new Decimal(0) : r).toFixed(dp);
}

/** 2 dp string, half-up: the one way an amount is written. */
export function fmt(x: Decimal.Value): string {
  return fixed(x, 2);
}

export interface TotalsLine {
  quantity: number;
  unitPrice: string;
  taxRate: string;
}

export interface LineTotals {
  net: string;
  tax: string;
  gross: string;
}

/** One line: net = qty x price (2 dp), tax = net x rate (2 dp), gross = net + tax. */
export function lineTotals(l: TotalsLine): LineTotals {
  if (!Number.isFinite(l.quantity) || l.quantity < 0) throw new Error(`quantity must be a non-negative number: ${l.quantity}`);
  const rate = money(l.taxRate);
  if (rate.isNegative()) throw new Error(`tax rate must not be negative: ${l.taxRate}`);
  const net = round(money(l.unitPrice).times(l.quantity));
  const tax = round(net.times(rate));
  return { net: fmt(net), tax: fmt(tax), gross: fmt(net.plus(tax)) };
}

/** Order totals as sums of the rounded line values. */
export function orderTotals(lines: TotalsLine[]): {
  subtotal: string;
  tax: string;
  total: string;
  lines: LineTotals[];
} {
  const out = lines.map(lineTotals);
  const sum = (pick: (l: LineTotals) => string) => out.reduce((acc, l) => acc.plus(pick(l)), new Decimal(0));
  const subtotal = sum((l) => l.net);
  const tax = sum((l) => l.tax);
  return { subtotal: fmt(subtotal), tax: fmt(tax), total: fmt(subtotal.plus(tax)), lines: out };
}
