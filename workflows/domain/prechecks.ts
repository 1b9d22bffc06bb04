/**
 * Sales pre-checks (SPEC 3.2: "the system shows the automatic pre-checks
 * (missing fields, unknown products, prices far from the list price, credit
 * exposure) with the task"). Unknown products are found by the activity that
 * looks the SKUs up; everything decidable from the data is decided here.
 *
 * Choices:
 * - Problems are plain English sentences for the reviewer, one per finding,
 *   in a stable order (contact, address, dates, lines, credit); an empty
 *   list means nothing to point out. They inform the reviewer; they do not
 *   reject anything by themselves.
 * - The "far from list" rule and the credit rule are the ones in pricing.ts
 *   and credit.ts, so sales and finance never disagree about a number.
 * - Dates are compared by UTC calendar date: delivery on the order day is fine.
 */
import Decimal from 'decimal.js';
import { calendarDate } from './carriers';
import { creditLimitOf, type CreditExposure } from './credit';
import { fixed, fmt, money } from './money';
import { isFarFromList, priceDeviation, type PricedLine } from './pricing';

export interface PrecheckInput {
  lines: PricedLine[];
  requestedDeliveryDate: string;
  orderDate: string;
  contactName?: string;
  address: { region?: string; city?: string; line1?: string };
  credit: CreditExposure;
  priceDeviation: string;
}

const blank = (v: string | undefined | null): boolean => v == null || v.trim() === '';

function tryCalendarDate(iso: string | undefined): string | null {
  if (blank(iso)) return null;
  try {
    return calendarDate(iso as string);
  } catch {
    return null;
  }
}

function contactProblems(a: PrecheckInput): string[] {
  return blank(a.contactName) ? ['contact name is missing'] : [];
}

const ADDRESS_PARTS = [
  ['region', 'region'],
  ['city', 'city'],
  ['line1', 'street address'],
] as const;

function addressProblems(a: PrecheckInput): string[] {
  const missing = ADDRESS_PARTS.filter(([key]) => blank(a.address?.[key])).map(([, label]) => label);
  return missing.length ? [`delivery address is missing: ${missing.join(', ')}`] : [];
}

function dateProblems(a: PrecheckInput): string[] {
  const requested = tryCalendarDate(a.requestedDeliveryDate);
  const ordered = tryCalendarDate(a.orderDate);
  const out: string[] = [];
  if (!requested) out.push('requested delivery date is missing or not a valid date');
  if (!ordered) out.push('order date is missing or not a valid date');
  if (requested && ordered && requested < ordered)
    out.push(`requested delivery date ${requested} is before the order date ${ordered}`);
  return out;
}

/** "line 2 (SKU-X): unit price 12.00 is 40.0% below list 20.00" */
function linePriceProblem(l: PricedLine, allowed: string): string | null {
  const deviation = priceDeviation(l.unitPrice, l.listPrice);
  if (!isFarFromList(deviation, allowed)) return null;
  const d = money(deviation);
  const pct = fixed(d.abs().times(100), 1);
  return `line ${l.lineNo} (${l.sku}): unit price ${fmt(l.unitPrice)} is ${pct}% ${d.isNegative() ? 'below' : 'above'} list ${fmt(l.listPrice)}`;
}

function lineProblems(a: PrecheckInput): string[] {
  if (a.lines.length === 0) return ['the order has no lines'];
  const out: string[] = [];
  for (const l of a.lines) {
    if (!Number.isFinite(l.quantity) || l.quantity <= 0)
      out.push(`line ${l.lineNo} (${l.sku}): quantity ${l.quantity} must be positive`);
    const price = linePriceProblem(l, a.priceDeviation);
    if (price) out.push(price);
  }
  return out;
}

function creditProblems(a: PrecheckInput): string[] {
  const out: string[] = [];
  if (!a.credit.withinLimit)
    out.push(`credit exposure ${fmt(new Decimal(a.credit.exposure))} exceeds limit ${creditLimitOf(a.credit)}`);
  if (a.credit.creditHold) out.push('customer is on credit hold');
  return out;
}

export function salesPrechecks(a: PrecheckInput): string[] {
  return [...contactProblems(a), ...addressProblems(a), ...dateProblems(a), ...lineProblems(a), ...creditProblems(a)];
}
