/**
 * The dates of an order (SPEC 3.1 intake; corrections and change requests):
 * the order date is not in the future and not older than the policy's
 * `orderDates.maxOrderAge`; the requested delivery date is not in the past,
 * not before the order date, and not further ahead than
 * `orderDates.maxDeliveryHorizon`. Outside these windows a date is a typo
 * (1900-01-01, 9999-12-31) that would otherwise drive carrier choice, risk
 * and deadlines. Pure: dates are ISO `YYYY-MM-DD` strings, which compare as
 * strings.
 */
import { parseDuration } from './duration';
import type { Policy } from './policy';

export interface DateProblem {
  field: 'orderDate' | 'requestedDeliveryDate';
  message: string;
}

const DAY_MS = 86_400_000;

/** `isoDate` moved by `ms` (whole days: the part of a day beyond is dropped). */
function shiftDate(isoDate: string, ms: number): string {
  const days = Math.trunc(ms / DAY_MS);
  return new Date(Date.parse(`${isoDate}T00:00:00.000Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/**
 * The first problem with the dates given, or null. `today` is the caller's
 * UTC date; one day of slack for an order date ahead of UTC (the business
 * runs on UTC+8). An absent date is not checked.
 */
export function orderDateProblem(
  d: { orderDate?: string; requestedDeliveryDate?: string },
  today: string,
  policy: Pick<Policy, 'orderDates'>,
): DateProblem | null {
  const { maxOrderAge, maxDeliveryHorizon } = policy.orderDates;
  if (d.orderDate !== undefined) {
    if (d.orderDate > shiftDate(today, DAY_MS)) return { field: 'orderDate', message: 'orderDate must not be in the future' };
    const earliest = shiftDate(today, -parseDuration(maxOrderAge));
    if (d.orderDate < earliest)
      return { field: 'orderDate', message: `orderDate must not be before ${earliest} (at most ${maxOrderAge} ago)` };
  }
  if (d.requestedDeliveryDate !== undefined) {
    if (d.requestedDeliveryDate < today)
      return { field: 'requestedDeliveryDate', message: 'requestedDeliveryDate must not be in the past' };
    if (d.orderDate !== undefined && d.requestedDeliveryDate < d.orderDate)
      return { field: 'requestedDeliveryDate', message: 'requestedDeliveryDate must not be before orderDate' };
    const latest = shiftDate(today, parseDuration(maxDeliveryHorizon));
    if (d.requestedDeliveryDate > latest)
      return {
        field: 'requestedDeliveryDate',
        message: `requestedDeliveryDate must not be after ${latest} (at most ${maxDeliveryHorizon} ahead)`,
      };
  }
  return null;
}
