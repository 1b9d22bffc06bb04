/**
 * Carrier choice (SPEC 3.7 shipping: "a carrier is chosen by service area,
 * promised transit time against the requested delivery date, and cost").
 *
 * Choices:
 * - A carrier qualifies when it serves the region and has a rate for it
 *   (region names compared trimmed and case-insensitively; Chinese names
 *   compare as written).
 * - cost = baseFee + perKg x weightKg, 2 dp half-up; eta = shipDate +
 *   transitDays days.
 * - "Meets the requested date" compares calendar dates (UTC), i.e. the ETA
 *   may fall at any time on the requested day.
 * - Among carriers meeting the date: cheapest, then more reliable, then code
 *   (deterministic). If none meets it, the fastest, then cheapest, then more
 *   reliable, then code: arriving as little late as possible beats saving.
 */
import Decimal from 'decimal.js';
import { addDuration } from './duration';
import { fmt, money, round } from './money';

export interface CarrierRate {
  region: string;
  baseFee: string;
  perKg: string;
}

export interface CarrierOption {
  code: string;
  name: string;
  serviceAreas: string[];
  transitDays: number;
  /** Fraction of on-time deliveries, decimal string ("0.97"). */
  reliability: string;
  rates: CarrierRate[];
}

export interface CarrierChoice {
  code: string;
  name: string;
  cost: string;
  transitDays: number;
  eta: string;
  meetsRequestedDate: boolean;
}

export interface ShipmentRequest {
  region: string;
  weightKg: string;
  shipDate: string;
  requestedDeliveryDate: string;
}

const DATE_ONLY_RE = /^\d{4}-\d{2}-\d{2}$/;

/** The UTC calendar date (YYYY-MM-DD) of an ISO date or timestamp; throws on an invalid one. */
export function calendarDate(iso: string): string {
  if (DATE_ONLY_RE.test(iso)) return iso;
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) throw new Error(`not an ISO date: "${iso}"`);
  return t.toISOString().slice(0, 10);
}

/** ISO timestamp `days` whole days after `iso`. */
export function addDays(iso: string, days: number): string {
  if (!Number.isInteger(days)) throw new Error(`days must be a whole number: ${days}`);
  return addDuration(iso, `${days}d`);
}

const sameRegion = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

/** baseFee + perKg x weight, 2 dp. */
export function shippingCost(rate: CarrierRate, weightKg: string): Decimal {
  return round(money(rate.baseFee).plus(money(rate.perKg).times(money(weightKg))));
}

interface Candidate extends CarrierChoice {
  costValue: Decimal;
  reliabilityValue: Decimal;
}

function candidate(o: CarrierOption, s: ShipmentRequest): Candidate | null {
  if (!o.serviceAreas.some((a) => sameRegion(a, s.region))) return null;
  const rate = o.rates.find((r) => sameRegion(r.region, s.region));
  if (!rate) return null;
  if (!Number.isInteger(o.transitDays) || o.transitDays < 0)
    throw new Error(`carrier ${o.code}: transitDays must be a whole number of days`);
  const costValue = shippingCost(rate, s.weightKg);
  const eta = addDays(s.shipDate, o.transitDays);
  return {
    code: o.code,
    name: o.name,
    cost: fmt(costValue),
    transitDays: o.transitDays,
    eta,
    meetsRequestedDate: calendarDate(eta) <= calendarDate(s.requestedDeliveryDate),
    costValue,
    reliabilityValue: money(o.reliability),
  };
}

type Cmp = (a: Candidate, b: Candidate) => number;
const byCost: Cmp = (a, b) => a.costValue.comparedTo(b.costValue);
const byReliabilityDesc: Cmp = (a, b) => b.reliabilityValue.comparedTo(a.reliabilityValue);
const byCode: Cmp = (a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0);
const byTransit: Cmp = (a, b) => a.transitDays - b.transitDays;
const chain =
  (...cmps: Cmp[]): Cmp =>
  (a, b) => {
    for (const c of cmps) {
      const r = c(a, b);
      if (r !== 0) return r;
    }
    return 0;
  };

export function chooseCarrier(options: CarrierOption[], s: ShipmentRequest): CarrierChoice | null {
  const w = money(s.weightKg);
  if (w.isNegative()) throw new Error(`weightKg must not be negative: ${s.weightKg}`);
  const qualifying = options.map((o) => candidate(o, s)).filter((c): c is Candidate => c !== null);
  if (qualifying.length === 0) return null;
  const onTime = qualifying.filter((c) => c.meetsRequestedDate);
  const [best] = onTime.length
    ? onTime.sort(chain(byCost, byReliabilityDesc, byCode))
    : qualifying.sort(chain(byTransit, byCost, byReliabilityDesc, byCode));
  const { costValue: _c, reliabilityValue: _r, ...choice } = best;
  return choice;
}
