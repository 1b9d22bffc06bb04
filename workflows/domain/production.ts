/**
 * Production planning (SPEC 3.6 stock preparation: "for the shortfall a
 * production order is scheduled against capacity and lead time").
 *
 * Choices:
 * - plannedStart = startAt + leadTimeDays days (material lead time), then
 *   ceil(quantity / dailyCapacity) whole working days, at least one;
 *   plannedFinish = plannedStart + those days. Calendar days, no weekends
 *   or shifts modelled.
 * - The division is done in decimal so e.g. 1.1 / 0.1 is exactly 11 days.
 * - Non-positive quantity or capacity, or a negative / fractional lead
 *   time, is a programming or master-data error: throw.
 */
import Decimal from 'decimal.js';
import { addDuration } from './duration';

export interface ProductionPlan {
  plannedStart: string;
  plannedFinish: string;
  days: number;
}

/** Whole days needed to make `quantity` at `dailyCapacity` per day (at least 1). */
export function productionDays(quantity: number, dailyCapacity: number): number {
  if (!Number.isFinite(quantity) || quantity <= 0) throw new Error(`quantity must be positive: ${quantity}`);
  if (!Number.isFinite(dailyCapacity) || dailyCapacity <= 0)
    throw new Error(`dailyCapacity must be positive: ${dailyCapacity}`);
  return Math.max(1, new Decimal(quantity).div(dailyCapacity).ceil().toNumber());
}

export function planProduction(a: {
  quantity: number;
  leadTimeDays: number;
  dailyCapacity: number;
  startAt: string;
}): ProductionPlan {
  const days = productionDays(a.quantity, a.dailyCapacity);
  if (!Number.isInteger(a.leadTimeDays) || a.leadTimeDays < 0)
    throw new Error(`leadTimeDays must be a whole number of days, not negative: ${a.leadTimeDays}`);
  const plannedStart = addDuration(a.startAt, `${a.leadTimeDays}d`);
  return { plannedStart, plannedFinish: addDuration(plannedStart, `${days}d`), days };
}
