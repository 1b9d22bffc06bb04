/**
 * Credit exposure (SPEC 3.3 finance review): exposure = open receivables +
 * open orders + this order, against the customer's credit limit; a customer
 * on credit hold cannot pass whatever the numbers say.
 *
 * Choices: exposure exactly at the limit is still within it; `available` may
 * be negative (how far over the limit the order goes).
 *
 * Currencies: a customer's credit limit is in its credit currency
 * (customers.credit_currency, default CNY). Every amount counted (open
 * invoices, open orders, this order, whatever their currency) is first
 * converted into it with the policy's exchange rates (`exchangeRates`: CNY
 * per unit), so amounts of different currencies are never added as they
 * are. An order in a currency without a rate is refused at intake.
 */
import Decimal from 'decimal.js';
import { fmt, money } from './money';

/** CNY per one unit of each currency (policy.exchangeRates). */
export type ExchangeRates = Record<string, string>;

/** Whether amounts in `currency` can be converted (the policy has its rate). */
export const hasRate = (rates: ExchangeRates, currency: string): boolean => Object.prototype.hasOwnProperty.call(rates, currency);

/** `amount` in `from` expressed in `to` (amount x rate(from) / rate(to)), unrounded; throws when a rate is missing. */
export function convert(amount: string, from: string, to: string, rates: ExchangeRates): Decimal {
  if (from === to) return money(amount);
  for (const c of [from, to]) if (!hasRate(rates, c)) throw new Error(`no exchange rate for ${c} in the policy (exchangeRates)`);
  return money(amount).times(money(rates[from])).dividedBy(money(rates[to]));
}

/** Amounts by currency, summed in `to`, 2 dp. */
export function sumIn(amounts: { currency: string; amount: string }[], to: string, rates: ExchangeRates): string {
  return fmt(amounts.reduce((s, a) => s.plus(convert(a.amount, a.currency, to, rates)), money(0)));
}

export interface CreditInput {
  creditLimit: string;
  openReceivables: string;
  openOrders: string;
  thisOrder: string;
  creditHold: boolean;
}

export interface CreditExposure {
  exposure: string;
  available: string;
  withinLimit: boolean;
  creditHold: boolean;
  ok: boolean;
}

export function creditExposure(a: CreditInput): CreditExposure {
  const limit = money(a.creditLimit);
  const exposure = money(a.openReceivables).plus(money(a.openOrders)).plus(money(a.thisOrder));
  const withinLimit = exposure.lte(limit);
  return {
    exposure: fmt(exposure),
    available: fmt(limit.minus(exposure)),
    withinLimit,
    creditHold: a.creditHold,
    ok: withinLimit && !a.creditHold,
  };
}

/** The limit behind a result (exposure + available), for messages. */
export function creditLimitOf(c: Pick<CreditExposure, 'exposure' | 'available'>): string {
  return fmt(money(c.exposure).plus(money(c.available)));
}
