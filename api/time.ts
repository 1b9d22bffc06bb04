/** Checks on times a caller reports. */
import { badRequest } from './errors';

/** Clocks disagree a little; a report this far ahead is still "now". */
export const CLOCK_SKEW_MS = 5 * 60_000;

/** The time as a normalised ISO string; 400 on `field` when it lies in the future. */
export function notInFuture(isoTime: string, field: string, now = new Date()): string {
  const t = new Date(isoTime);
  if (Number.isNaN(t.getTime())) throw badRequest(`${field} is not a date-time`, field);
  if (t.getTime() > now.getTime() + CLOCK_SKEW_MS) throw badRequest(`${field} must not be in the future`, field);
  return t.toISOString();
}
