/**
 * Settlement rules (SPEC 3.9): due date from the payment term, the dunning
 * ladder (a friendly note before the due date, overdue notices after it, a
 * final notice), and what is still owed.
 *
 * Choices:
 * - Durations come from the policy (`creditPeriod`, level offsets, which may
 *   be negative = before the due date) and are added to exact timestamps;
 *   callers pass "now"-like instants in, nothing here reads a clock.
 * - The schedule keeps the policy's level order (policyProblems already
 *   requires increasing offsets); `final` is always a boolean.
 * - Overpayment never yields a negative balance: outstanding is at least 0.
 */
import Decimal from 'decimal.js';
import { addDuration } from './duration';
import type { DunningLevel, PaymentTermPolicy } from './policy';
import { fmt, money } from './money';

export interface DunningStep {
  code: string;
  at: string;
  final: boolean;
}

/** issuedAt + the term's credit period, ISO timestamp. */
export function dueDate(issuedAt: string, term: PaymentTermPolicy): string {
  return addDuration(issuedAt, term.creditPeriod);
}

/** Each level at dueDate + its offset, in the policy's order. */
export function dunningSchedule(dueDate: string, levels: DunningLevel[]): DunningStep[] {
  return levels.map((l) => ({ code: l.code, at: addDuration(dueDate, l.offset), final: l.final === true }));
}

/** max(0, amount - paid), 2 dp. */
export function outstanding(amount: string, paid: string): string {
  return fmt(Decimal.max(0, money(amount).minus(money(paid))));
}

/**
 * What an invoice owes back to the customer: everything paid when it is void
 * (the order was cancelled), else what was paid above its amount (an
 * overpayment, or a change that lowered a paid total). 2 dp, at least 0.
 */
export function refundOwed(a: { amount: string; paid: string; void: boolean }): string {
  const paid = money(a.paid);
  return fmt(a.void ? paid : Decimal.max(0, paid.minus(money(a.amount))));
}
