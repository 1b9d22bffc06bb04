/**
 * Risk assessment (SPEC 4): credit, production, logistics and market risk per
 * order, each with a probability and an impact (1-5), a score (p x i), a
 * level, a control measure and an owner. Pure: the workflow, activities and
 * API all call these rules; the facts are gathered elsewhere.
 *
 * How an order is scored
 * - Each category has a table of rules below (RULES). Every rule whose
 *   condition holds "fires"; the category's entry is the fired rule with the
 *   highest score (tie: the earlier row), and its reason lists every fired
 *   rule. A category where nothing fires has no entry (no risk).
 * - Credit only: overdue invoices raise the chosen probability by their age
 *   (1-15 days +1, 16-30 days +2, over 30 days +3; at most 5).
 * - Impact "by amount (n)" = max(n, the order's amount band); the band
 *   compares the order amount with policy.jointReviewThreshold:
 *   >= 100 % -> 5, >= 50 % -> 4, >= 20 % -> 3, >= 5 % -> 2, else 1
 *   (no amount given -> 3). Big orders hurt more when they go wrong.
 * - Level: score >= 15 high, >= 8 medium, else low (RISK_LEVEL_THRESHOLDS).
 *   The order's level is its highest; a high level requires joint review.
 *
 * | category   | code                      | when                                              | p | impact        |
 * |------------|---------------------------|---------------------------------------------------|---|---------------|
 * | credit     | credit_hold               | customer is on credit hold                        | 5 | 5             |
 * | credit     | over_limit                | exposure / limit > 1 (no limit: any exposure)     | 5 | by amount (3) |
 * | credit     | near_limit                | exposure / limit > 0.9                            | 4 | by amount (2) |
 * | credit     | high_utilisation          | exposure / limit > 0.75                           | 3 | by amount (1) |
 * | credit     | overdue_history           | overdue invoices (then + age, see above)          | 1 | by amount (1) |
 * | production | late_for_requested_date   | shortfall; planned finish after requested date    | 5 | by amount (3) |
 * | production | late_for_shipping         | shortfall; finish after requested date - transit  | 4 | by amount (3) |
 * | production | not_planned               | shortfall; no planned finish yet                  | 3 | by amount (2) |
 * | production | no_slack                  | shortfall; finish + productionGrace too late      | 3 | by amount (1) |
 * | production | make_to_order             | shortfall, on plan with slack                     | 2 | by amount (1) |
 * | logistics  | region_not_served         | no carrier serves the delivery region             | 5 | 4             |
 * | logistics  | eta_after_requested_date  | carrier ETA after the requested date              | 4 | by amount (2) |
 * | logistics  | low_carrier_reliability   | carrier reliability < 0.9                         | 3 | by amount (2) |
 * | logistics  | long_transit              | transit > 7 days                                  | 2 | by amount (1) |
 * | market     | sold_at_loss              | margin < 0                                        | 5 | by amount (3) |
 * | market     | margin_below_minimum      | 0 <= margin < minMargin                           | 4 | by amount (2) |
 * | market     | far_below_list            | price deviation < -policy.priceDeviation          | 4 | by amount (1) |
 * | market     | below_list                | price deviation < -0.10 (and not far below)       | 3 | by amount (1) |
 *
 * Choices: thresholds are strict ("more than"), so a value exactly on one
 * does not fire (exposure exactly at 90 % of the limit is "high utilisation",
 * not "near the limit"; reliability exactly 0.9 is fine). Dates compare as
 * UTC calendar days, like carrier ETAs. Without a transit time, production
 * uses policy.shipLeadDays as the days needed between finish and delivery.
 */
import Decimal from 'decimal.js';
import { calendarDate } from './carriers';
import { addDuration } from './duration';
import { fmt, money } from './money';
import { DEFAULT_POLICY, type Policy, type Role } from './policy';

export const RISK_CATEGORIES = ['credit', 'production', 'logistics', 'market'] as const;
export type RiskCategory = (typeof RISK_CATEGORIES)[number];
export type RiskLevel = 'low' | 'medium' | 'high';

/** score >= high -> 'high', >= medium -> 'medium', else 'low'. */
export const RISK_LEVEL_THRESHOLDS = { high: 15, medium: 8 } as const;

/** The numbers the rule table compares against, in one place. */
export const RISK_LIMITS = {
  /** exposure / credit limit */
  overLimit: '1',
  nearLimit: '0.9',
  highUtilisation: '0.75',
  /** Overdue age (days, more than) -> probability raise; first match wins. */
  overdueRaise: [
    { moreThanDays: 30, raise: 3 },
    { moreThanDays: 15, raise: 2 },
    { moreThanDays: 0, raise: 1 },
  ],
  minCarrierReliability: '0.9',
  longTransitDays: 7,
  /** Price deviation vs list (fraction, below list) that counts as "below list". */
  belowList: '0.10',
  /** Order amount / jointReviewThreshold -> impact band; first match wins. */
  amountBands: [
    { atLeast: '1', impact: 5 },
    { atLeast: '0.5', impact: 4 },
    { atLeast: '0.2', impact: 3 },
    { atLeast: '0.05', impact: 2 },
  ],
  /** Impact band when no order amount is given. */
  unknownAmountImpact: 3,
} as const;

export const RISK_OWNERS: Record<RiskCategory, Role> = {
  credit: 'finance',
  production: 'production',
  logistics: 'logistics',
  market: 'finance',
};

export interface CreditFacts {
  /** Open receivables + open orders + this order (creditExposure().exposure). */
  exposure: string;
  creditLimit: string;
  creditHold: boolean;
  overdueInvoices: number;
  maxDaysOverdue: number;
}

export interface ProductionFacts {
  shortfallQty: number;
  /** Latest planned finish of the order's production orders (ISO). */
  plannedFinish?: string;
  requestedDeliveryDate: string;
  /** Transit days of the chosen carrier; policy.shipLeadDays when unknown. */
  transitDays?: number;
}

export interface LogisticsFacts {
  regionServed: boolean;
  /** Fraction of on-time deliveries of the chosen carrier ("0.97"). */
  carrierReliability?: string;
  transitDays?: number;
  meetsRequestedDate?: boolean;
}

export interface MarketFacts {
  /** Most negative unit-price deviation vs list, as a signed fraction ("-0.1500"). */
  minDeviation: string;
  /** Order margin, fraction (priceReview().margin). */
  margin: string;
  minMargin: string;
}

/** What is known about an order; a category left out is not assessed. */
export interface RiskFacts {
  /** Order total, scales impacts (see header); impact band 3 when absent. */
  amount?: string;
  credit?: CreditFacts;
  production?: ProductionFacts;
  logistics?: LogisticsFacts;
  market?: MarketFacts;
}

export interface RiskAssessment {
  category: RiskCategory;
  code: string;
  probability: number;
  impact: number;
  score: number;
  level: RiskLevel;
  control: string;
  owner: Role;
  reason: string;
}

export type RiskPolicy = Pick<Policy, 'jointReviewThreshold' | 'priceDeviation' | 'productionGrace' | 'shipLeadDays'>;

// ---------------------------------------------------------------------------
// Rule table

type ImpactRule = { fixed: number } | { byAmount: number };
const fixed = (n: number): ImpactRule => ({ fixed: n });
const byAmount = (atLeast: number): ImpactRule => ({ byAmount: atLeast });

interface Rule<C> {
  code: string;
  when: (c: C) => boolean;
  probability: number;
  impact: ImpactRule;
  control: string;
  reason: (c: C) => string;
}

interface CreditCtx {
  f: CreditFacts;
  /** exposure / limit; Infinity when there is exposure and no limit. */
  ratio: Decimal;
}

interface ProductionCtx {
  f: ProductionFacts;
  shortfall: boolean;
  transitDays: number;
  requested: string;
  /** Latest finish day that still arrives on the requested date. */
  latestFinish: string;
  finish: string | null;
  finishWithGrace: string | null;
  grace: string;
}

interface LogisticsCtx {
  f: LogisticsFacts;
}

interface MarketCtx {
  f: MarketFacts;
  deviation: Decimal;
  margin: Decimal;
  minMargin: Decimal;
  farBelow: Decimal;
}

const pct = (d: Decimal) => (d.isFinite() ? `${d.times(100).toDecimalPlaces(1, Decimal.ROUND_HALF_UP).toString()} %` : 'no limit');

const CREDIT_RULES: Rule<CreditCtx>[] = [
  // Finance (or the dunning ladder) stopped credit: nothing ships on credit.
  {
    code: 'credit_hold',
    when: (c) => c.f.creditHold,
    probability: 5,
    impact: fixed(5),
    control: 'Keep the order on hold until the finance manager releases the credit hold, or require prepayment.',
    reason: () => 'customer is on credit hold',
  },
  // Exposure above the limit: this order would be sold on credit the customer does not have.
  {
    code: 'over_limit',
    when: (c) => c.ratio.gt(RISK_LIMITS.overLimit),
    probability: 5,
    impact: byAmount(3),
    control: 'Require prepayment or a temporary limit increase approved by the finance manager before confirmation.',
    reason: (c) => `exposure ${fmt(c.f.exposure)} is over the credit limit ${fmt(c.f.creditLimit)} (${pct(c.ratio)})`,
  },
  // Almost no headroom: any delay in the customer's payments takes it over.
  {
    code: 'near_limit',
    when: (c) => c.ratio.gt(RISK_LIMITS.nearLimit) && c.ratio.lte(RISK_LIMITS.overLimit),
    probability: 4,
    impact: byAmount(2),
    control: 'Collect open receivables or take a partial prepayment before shipping; finance watches the account.',
    reason: (c) => `exposure ${fmt(c.f.exposure)} is ${pct(c.ratio)} of the credit limit ${fmt(c.f.creditLimit)}`,
  },
  // Most of the limit in use: worth watching.
  {
    code: 'high_utilisation',
    when: (c) => c.ratio.gt(RISK_LIMITS.highUtilisation) && c.ratio.lte(RISK_LIMITS.nearLimit),
    probability: 3,
    impact: byAmount(1),
    control: 'Monitor the exposure and chase open receivables before invoicing.',
    reason: (c) => `exposure ${fmt(c.f.exposure)} is ${pct(c.ratio)} of the credit limit ${fmt(c.f.creditLimit)}`,
  },
  // Late payer within the limit; the age raise below makes old debts count.
  {
    code: 'overdue_history',
    when: (c) => hasOverdue(c.f),
    probability: 1,
    impact: byAmount(1),
    control: 'Collect the overdue invoices before shipping; consider prepayment terms for this customer.',
    reason: (c) => `${c.f.overdueInvoices} overdue invoice(s), the oldest ${c.f.maxDaysOverdue} days overdue`,
  },
];

const PRODUCTION_RULES: Rule<ProductionCtx>[] = [
  // Even with zero transit the goods are made after the customer wants them.
  {
    code: 'late_for_requested_date',
    when: (c) => c.shortfall && c.finish !== null && c.finish > c.requested,
    probability: 5,
    impact: byAmount(3),
    control: 'Expedite production (overtime, extra capacity) or agree a new delivery date with the customer.',
    reason: (c) => `planned finish ${c.finish} is after the requested delivery date ${c.requested}`,
  },
  // Made in time but too late to be carried there in time.
  {
    code: 'late_for_shipping',
    when: (c) => c.shortfall && c.finish !== null && c.finish <= c.requested && c.finish > c.latestFinish,
    probability: 4,
    impact: byAmount(3),
    control: 'Expedite production or book a faster carrier; tell the customer early if the date cannot be kept.',
    reason: (c) =>
      `planned finish ${c.finish} leaves less than ${c.transitDays} transit day(s) before ${c.requested} (latest finish ${c.latestFinish})`,
  },
  // Something must be made and nobody has planned it yet.
  {
    code: 'not_planned',
    when: (c) => c.shortfall && c.finish === null,
    probability: 3,
    impact: byAmount(2),
    control: 'Schedule a production order and confirm the finish date with production planning.',
    reason: (c) => `shortfall of ${c.f.shortfallQty} without a production plan`,
  },
  // On time only if nothing slips: less slack than the production grace.
  {
    code: 'no_slack',
    when: (c) =>
      c.shortfall && c.finish !== null && c.finish <= c.latestFinish && c.finishWithGrace !== null && c.finishWithGrace > c.latestFinish,
    probability: 3,
    impact: byAmount(1),
    control: 'Track production progress closely and reserve capacity so the plan does not slip.',
    reason: (c) => `planned finish ${c.finish} is within the production grace (${c.grace}) of the latest finish ${c.latestFinish}`,
  },
  // Make-to-order on plan with slack: the usual risk of making things.
  {
    code: 'make_to_order',
    when: (c) => c.shortfall && c.finishWithGrace !== null && c.finishWithGrace <= c.latestFinish,
    probability: 2,
    impact: byAmount(1),
    control: 'Follow the production plan; report progress at the policy interval.',
    reason: (c) => `shortfall of ${c.f.shortfallQty} planned to finish ${c.finish}, before the latest finish ${c.latestFinish}`,
  },
];

const LOGISTICS_RULES: Rule<LogisticsCtx>[] = [
  // No carrier can deliver there at all.
  {
    code: 'region_not_served',
    when: (c) => !c.f.regionServed,
    probability: 5,
    impact: fixed(4),
    control: 'Arrange a special carrier or customer pickup; logistics confirms before the order is confirmed.',
    reason: () => 'no carrier serves the delivery region',
  },
  // The best carrier still arrives after the requested date.
  {
    code: 'eta_after_requested_date',
    when: (c) => c.f.meetsRequestedDate === false,
    probability: 4,
    impact: byAmount(2),
    control: 'Book an express service or agree a new delivery date with the customer.',
    reason: (c) => `carrier ETA is after the requested delivery date${c.f.transitDays !== undefined ? ` (${c.f.transitDays} transit days)` : ''}`,
  },
  // The carrier is often late.
  {
    code: 'low_carrier_reliability',
    when: (c) => c.f.carrierReliability !== undefined && money(c.f.carrierReliability).lt(RISK_LIMITS.minCarrierReliability),
    probability: 3,
    impact: byAmount(2),
    control: 'Choose a more reliable carrier or follow the shipment up daily; warn the customer.',
    reason: (c) => `carrier reliability ${c.f.carrierReliability} is below ${RISK_LIMITS.minCarrierReliability}`,
  },
  // Long transit: more days for something to go wrong on the way.
  {
    code: 'long_transit',
    when: (c) => c.f.transitDays !== undefined && c.f.transitDays > RISK_LIMITS.longTransitDays,
    probability: 2,
    impact: byAmount(1),
    control: 'Track the shipment and confirm the delivery appointment with the customer.',
    reason: (c) => `transit of ${c.f.transitDays} days is longer than ${RISK_LIMITS.longTransitDays}`,
  },
];

const MARKET_RULES: Rule<MarketCtx>[] = [
  // Sold below cost.
  {
    code: 'sold_at_loss',
    when: (c) => c.margin.lt(0),
    probability: 5,
    impact: byAmount(3),
    control: 'Finance manager approves the loss explicitly or the price is renegotiated.',
    reason: (c) => `margin ${c.f.margin} is negative`,
  },
  // Profitable, but under the policy minimum.
  {
    code: 'margin_below_minimum',
    when: (c) => c.margin.gte(0) && c.margin.lt(c.minMargin),
    probability: 4,
    impact: byAmount(2),
    control: 'Renegotiate the price or have the finance manager approve the low margin.',
    reason: (c) => `margin ${c.f.margin} is below the minimum ${c.f.minMargin}`,
  },
  // Further below list than sales may give without asking.
  {
    code: 'far_below_list',
    when: (c) => c.deviation.lt(c.farBelow.neg()),
    probability: 4,
    impact: byAmount(1),
    control: 'Sales manager justifies the discount (contract, competition) and finance confirms it.',
    reason: (c) => `a price is ${pct(c.deviation.neg())} below list (more than ${pct(c.farBelow)})`,
  },
  // A noticeable discount.
  {
    code: 'below_list',
    when: (c) => c.deviation.lt(money(RISK_LIMITS.belowList).neg()) && !c.deviation.lt(c.farBelow.neg()),
    probability: 3,
    impact: byAmount(1),
    control: 'Check the discount against the customer agreement and the market price.',
    reason: (c) => `a price is ${pct(c.deviation.neg())} below list (more than ${pct(money(RISK_LIMITS.belowList))})`,
  },
];

// ---------------------------------------------------------------------------

function hasOverdue(f: CreditFacts): boolean {
  return f.overdueInvoices > 0 && f.maxDaysOverdue > 0;
}

/** Probability raise for the age of the oldest overdue invoice (0 when none). */
export function overdueRaise(f: Pick<CreditFacts, 'overdueInvoices' | 'maxDaysOverdue'>): number {
  if (!(f.overdueInvoices > 0 && f.maxDaysOverdue > 0)) return 0;
  return RISK_LIMITS.overdueRaise.find((r) => f.maxDaysOverdue > r.moreThanDays)?.raise ?? 0;
}

/** Impact band 1-5 of an order amount against the joint-review threshold. */
export function amountImpact(amount: string | undefined, threshold: string): number {
  if (amount === undefined) return RISK_LIMITS.unknownAmountImpact;
  const t = money(threshold);
  const a = money(amount);
  if (t.lte(0)) return 5;
  const ratio = a.div(t);
  return RISK_LIMITS.amountBands.find((b) => ratio.gte(b.atLeast))?.impact ?? 1;
}

export function riskLevel(score: number): RiskLevel {
  if (score >= RISK_LEVEL_THRESHOLDS.high) return 'high';
  if (score >= RISK_LEVEL_THRESHOLDS.medium) return 'medium';
  return 'low';
}

const LEVEL_RANK: Record<RiskLevel, number> = { low: 0, medium: 1, high: 2 };

/** The highest level among the assessments; 'low' when there are none. */
export function orderRiskLevel(assessments: Pick<RiskAssessment, 'level'>[]): RiskLevel {
  return assessments.reduce<RiskLevel>((acc, a) => (LEVEL_RANK[a.level] > LEVEL_RANK[acc] ? a.level : acc), 'low');
}

function evaluate<C>(
  category: RiskCategory,
  rules: Rule<C>[],
  ctx: C,
  band: number,
  raise: { by: number; note: string } | null,
): RiskAssessment | null {
  const impactOf = (r: Rule<C>) => ('fixed' in r.impact ? r.impact.fixed : Math.max(r.impact.byAmount, band));
  const fired = rules.filter((r) => r.when(ctx));
  if (fired.length === 0) return null;
  let best = fired[0];
  for (const r of fired.slice(1)) if (r.probability * impactOf(r) > best.probability * impactOf(best)) best = r;
  const probability = Math.min(5, best.probability + (raise?.by ?? 0));
  const impact = impactOf(best);
  const score = probability * impact;
  const reasons = [best, ...fired.filter((r) => r !== best)].map((r) => r.reason(ctx));
  if (raise && raise.by > 0 && best.probability < 5) reasons.push(raise.note);
  return {
    category,
    code: best.code,
    probability,
    impact,
    score,
    level: riskLevel(score),
    control: best.control,
    owner: RISK_OWNERS[category],
    reason: reasons.join('; '),
  };
}

function creditCtx(f: CreditFacts): CreditCtx {
  const limit = money(f.creditLimit);
  const exposure = money(f.exposure);
  const ratio = limit.gt(0) ? exposure.div(limit) : exposure.gt(0) ? new Decimal(Infinity) : new Decimal(0);
  return { f, ratio };
}

function productionCtx(f: ProductionFacts, policy: RiskPolicy): ProductionCtx {
  const transitDays = f.transitDays ?? policy.shipLeadDays;
  if (!Number.isInteger(transitDays) || transitDays < 0) throw new Error(`transitDays must be a whole number of days: ${transitDays}`);
  const requested = calendarDate(f.requestedDeliveryDate);
  const latestFinish = calendarDate(addDuration(`${requested}T00:00:00.000Z`, `-${transitDays}d`));
  const finish = f.plannedFinish ? calendarDate(f.plannedFinish) : null;
  const finishWithGrace = f.plannedFinish ? calendarDate(addDuration(f.plannedFinish, policy.productionGrace)) : null;
  return { f, shortfall: f.shortfallQty > 0, transitDays, requested, latestFinish, finish, finishWithGrace, grace: policy.productionGrace };
}

function marketCtx(f: MarketFacts, policy: RiskPolicy): MarketCtx {
  return {
    f,
    deviation: money(f.minDeviation),
    margin: money(f.margin),
    minMargin: money(f.minMargin),
    farBelow: money(policy.priceDeviation),
  };
}

/** One assessment per category that has a risk, in category order. */
export function assessRisks(facts: RiskFacts, policy: RiskPolicy = DEFAULT_POLICY): RiskAssessment[] {
  const band = amountImpact(facts.amount, policy.jointReviewThreshold);
  const out: (RiskAssessment | null)[] = [];
  if (facts.credit) {
    const c = facts.credit;
    const by = overdueRaise(c);
    out.push(
      evaluate('credit', CREDIT_RULES, creditCtx(c), band, {
        by,
        note: `probability raised by ${by} for invoices up to ${c.maxDaysOverdue} days overdue`,
      }),
    );
  }
  if (facts.production) out.push(evaluate('production', PRODUCTION_RULES, productionCtx(facts.production, policy), band, null));
  if (facts.logistics) out.push(evaluate('logistics', LOGISTICS_RULES, { f: facts.logistics }, band, null));
  if (facts.market) out.push(evaluate('market', MARKET_RULES, marketCtx(facts.market, policy), band, null));
  return out.filter((a): a is RiskAssessment => a !== null);
}

export interface JointReviewInput {
  totalAmount: string;
  threshold: string;
  special: boolean;
  paymentTerms: string;
  /** Payment-term codes that need no review (e.g. Object.keys(policy.paymentTerms)). */
  standardTerms: string[];
  riskLevel: RiskLevel;
}

/** Joint review (SPEC 3.4, 4): amount above the threshold, a special order, non-standard terms or high risk. */
export function requiresJointReview(a: JointReviewInput): { required: boolean; reasons: string[] } {
  const reasons: string[] = [];
  if (money(a.totalAmount).gt(money(a.threshold)))
    reasons.push(`amount ${fmt(a.totalAmount)} is above the joint-review threshold ${fmt(a.threshold)}`);
  if (a.special) reasons.push('special order');
  if (!a.standardTerms.includes(a.paymentTerms)) reasons.push(`non-standard payment terms ${a.paymentTerms}`);
  if (a.riskLevel === 'high') reasons.push('high risk');
  return { required: reasons.length > 0, reasons };
}
