/**
 * Performance evaluation (SPEC 7): reporting periods and KPI formulas. Pure:
 * the SQL gathers the counts and sums for a period's [start, end) and these
 * functions turn them into the reported figures, so the live view, the
 * archive and the tests compute every KPI the same way.
 *
 * Periods
 * - Written "2026-11" (month), "2026-Q4" (quarter) or "2026" (year); start is
 *   inclusive and end exclusive, both midnight UTC as ISO timestamps.
 *
 * KPI formulas (each returns value, numerator and denominator so a reader can
 * check it; value is null when the denominator is 0: "no data", not 0 %)
 * | KPI                  | value                                     | dp |
 * |----------------------|-------------------------------------------|----|
 * | timeliness rate      | stages finished within limit / finished   | 4  |
 * | accuracy rate        | orders without correction / orders        | 4  |
 * | average rating       | sum of ratings / number of ratings        | 2  |
 * | complaint rate       | complaints / orders                       | 4  |
 * | inventory turnover   | cost of goods shipped / average inventory | 4  |
 * | profit margin        | profit / revenue (net of tax)             | 4  |
 * Rates are fractions ("0.9500" = 95 %). Counts are written as whole numbers
 * and amounts with 2 dp; rounding is half-up (money.ts).
 */
import Decimal from 'decimal.js';
import { fixed, fmt, money } from './money';

export const PERIOD_KINDS = ['month', 'quarter', 'year'] as const;
export type PeriodKind = (typeof PERIOD_KINDS)[number];

export interface Period {
  /** "2026-11", "2026-Q4" or "2026". */
  key: string;
  kind: PeriodKind;
  /** Inclusive, ISO timestamp (UTC midnight). */
  start: string;
  /** Exclusive, ISO timestamp (UTC midnight). */
  end: string;
}

const PERIOD_HELP = 'expected YYYY-MM (e.g. 2026-11), YYYY-Qn (e.g. 2026-Q4) or YYYY (e.g. 2026)';
const MONTHS_PER: Record<PeriodKind, number> = { month: 1, quarter: 3, year: 12 };

/** The period of `kind` starting at month index `m` (0-based, may overflow) of `year`. */
function build(kind: PeriodKind, year: number, m: number): Period {
  const y = year + Math.floor(m / 12);
  const month = ((m % 12) + 12) % 12;
  if (y < 1000 || y > 9999) throw new Error(`period out of range: year ${y}`);
  const start = new Date(Date.UTC(y, month, 1)).toISOString();
  const end = new Date(Date.UTC(y, month + MONTHS_PER[kind], 1)).toISOString();
  const key =
    kind === 'year'
      ? `${y}`
      : kind === 'quarter'
        ? `${y}-Q${Math.floor(month / 3) + 1}`
        : `${y}-${String(month + 1).padStart(2, '0')}`;
  return { key, kind, start, end };
}

/** "2026-11" | "2026-Q4" | "2026" -> the period; throws naming the problem on anything else. */
export function parsePeriod(text: string): Period {
  if (typeof text !== 'string') throw new Error(`invalid period: ${PERIOD_HELP}`);
  const t = text.trim();
  let m: RegExpExecArray | null;
  if ((m = /^([1-9]\d{3})$/.exec(t))) return build('year', Number(m[1]), 0);
  if ((m = /^([1-9]\d{3})-(\d{2})$/.exec(t))) {
    const month = Number(m[2]);
    if (month < 1 || month > 12) throw new Error(`invalid period "${text}": month must be 01-12`);
    return build('month', Number(m[1]), month - 1);
  }
  if ((m = /^([1-9]\d{3})-[Qq](\d)$/.exec(t))) {
    const q = Number(m[2]);
    if (q < 1 || q > 4) throw new Error(`invalid period "${text}": quarter must be Q1-Q4`);
    return build('quarter', Number(m[1]), (q - 1) * 3);
  }
  throw new Error(`invalid period "${text}": ${PERIOD_HELP}`);
}

/** The period of `kind` containing the instant `isoTime` (UTC). */
export function periodOf(kind: PeriodKind, isoTime: string): Period {
  if (!PERIOD_KINDS.includes(kind)) throw new Error(`unknown period kind "${String(kind)}": month, quarter or year`);
  const d = new Date(isoTime);
  if (Number.isNaN(d.getTime())) throw new Error(`not an ISO time: "${isoTime}"`);
  const m = d.getUTCMonth();
  return build(kind, d.getUTCFullYear(), kind === 'year' ? 0 : kind === 'quarter' ? m - (m % 3) : m);
}

/** The period `k` steps after (k < 0: before) `period`, of the same kind. */
export function shiftPeriod(period: Period | string, k: number): Period {
  const p = typeof period === 'string' ? parsePeriod(period) : period;
  if (!Number.isInteger(k)) throw new Error(`steps must be a whole number: ${k}`);
  const start = new Date(p.start);
  return build(p.kind, start.getUTCFullYear(), start.getUTCMonth() + k * MONTHS_PER[p.kind]);
}

/** The `n` periods just before `period`, oldest first (not including it). */
export function previousPeriods(period: Period | string, n: number): Period[] {
  if (!Number.isInteger(n) || n < 0) throw new Error(`n must be a whole number, not negative: ${n}`);
  const out: Period[] = [];
  for (let k = n; k >= 1; k--) out.push(shiftPeriod(period, -k));
  return out;
}

/** The last `n` periods up to and including `period`, oldest first (a trend chart's x axis). */
export function trendPeriods(period: Period | string, n: number): Period[] {
  if (!Number.isInteger(n) || n < 1) throw new Error(`n must be a whole number of at least 1: ${n}`);
  return [...previousPeriods(period, n - 1), shiftPeriod(period, 0)];
}

// ---------------------------------------------------------------------------
// KPI formulas

export interface KpiValue {
  /** null when the denominator is 0 (nothing to measure). */
  value: string | null;
  numerator: string;
  denominator: string;
}

/** Counts from SQL may arrive as number, string or bigint. */
export type Quantity = Decimal.Value | bigint;

const RATE_DP = 4;
const RATING_DP = 2;

function dec(x: Quantity, name: string): Decimal {
  try {
    return money(typeof x === 'bigint' ? x.toString() : typeof x === 'number' || typeof x === 'string' ? x : x.toString());
  } catch {
    throw new Error(`${name} is not a number: ${String(x)}`);
  }
}

function count(x: Quantity, name: string): Decimal {
  const d = dec(x, name);
  if (!d.isInteger() || d.isNegative()) throw new Error(`${name} must be a whole number, not negative: ${String(x)}`);
  return d;
}

function ratio(num: Decimal, den: Decimal, dp: number, write: (d: Decimal) => string): KpiValue {
  return {
    value: den.isZero() ? null : fixed(num.div(den), dp),
    numerator: write(num),
    denominator: write(den),
  };
}

const asCount = (d: Decimal) => d.toFixed(0);

/** part / whole for two counts, part <= whole. */
function shareOf(part: Quantity, whole: Quantity, partName: string, wholeName: string): KpiValue {
  const p = count(part, partName);
  const w = count(whole, wholeName);
  if (p.gt(w)) throw new Error(`${partName} (${p.toFixed(0)}) cannot exceed ${wholeName} (${w.toFixed(0)})`);
  return ratio(p, w, RATE_DP, asCount);
}

/** Processing timeliness: stages finished within their limit / stages finished. */
export function timelinessRate(stagesWithinLimit: Quantity, stagesFinished: Quantity): KpiValue {
  return shareOf(stagesWithinLimit, stagesFinished, 'stagesWithinLimit', 'stagesFinished');
}

/** Order accuracy: orders never returned for correction (nor changed for wrong data) / orders. */
export function accuracyRate(ordersWithoutCorrection: Quantity, orders: Quantity): KpiValue {
  return shareOf(ordersWithoutCorrection, orders, 'ordersWithoutCorrection', 'orders');
}

/** Customer satisfaction: average rating (2 dp) and complaints per order (4 dp). */
export function satisfaction(a: { ratingSum: Quantity; ratingCount: Quantity; complaints: Quantity; orders: Quantity }): {
  averageRating: KpiValue;
  complaintRate: KpiValue;
} {
  const sum = dec(a.ratingSum, 'ratingSum');
  if (sum.isNegative()) throw new Error(`ratingSum must not be negative: ${String(a.ratingSum)}`);
  const n = count(a.ratingCount, 'ratingCount');
  const averageRating = { ...ratio(sum, n, RATING_DP, asCount), numerator: sum.toString() };
  const complaintRate = ratio(count(a.complaints, 'complaints'), count(a.orders, 'orders'), RATE_DP, asCount);
  return { averageRating, complaintRate };
}

/** Inventory turnover: cost of goods shipped / average inventory value (times per period, 4 dp). */
export function inventoryTurnover(costOfGoodsShipped: Quantity, averageInventoryValue: Quantity): KpiValue {
  return ratio(dec(costOfGoodsShipped, 'costOfGoodsShipped'), dec(averageInventoryValue, 'averageInventoryValue'), RATE_DP, fmt);
}

/** Profit margin: profit / revenue (revenue net of tax), fraction 4 dp. */
export function profitMargin(profit: Quantity, revenue: Quantity): KpiValue {
  return ratio(dec(profit, 'profit'), dec(revenue, 'revenue'), RATE_DP, fmt);
}

/** One order's profit = revenue (net of tax) - cost of goods - shipping cost; margin null without revenue. */
export function orderProfit(a: { revenue: Quantity; costOfGoods: Quantity; shippingCost: Quantity }): {
  profit: string;
  margin: string | null;
} {
  const revenue = dec(a.revenue, 'revenue');
  const profit = revenue.minus(dec(a.costOfGoods, 'costOfGoods')).minus(dec(a.shippingCost, 'shippingCost'));
  return { profit: fmt(profit), margin: profitMargin(profit, revenue).value };
}
