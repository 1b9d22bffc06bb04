/**
 * Credit exposure (SPEC 3.3 finance review): exposure = open receivables +
 * open orders + this order, against the customer's credit limit; a customer
 * on credit hold cannot pass whatever the numbers say.
 *
 * Choices: exposure exactly at the limit is still within it; `available` may
 * be negative (how far over the limit the order goes).
 */
import { fmt, money } from './money';

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
