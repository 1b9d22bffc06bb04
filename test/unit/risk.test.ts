import { DEFAULT_POLICY } from '../../workflows/domain/policy';
import {
  amountImpact,
  assessRisks,
  orderRiskLevel,
  overdueRaise,
  requiresJointReview,
  riskLevel,
  RISK_LEVEL_THRESHOLDS,
  type CreditFacts,
  type LogisticsFacts,
  type MarketFacts,
  type ProductionFacts,
  type RiskFacts,
} from '../../workflows/domain/risk';

// Default policy: jointReviewThreshold 500000, priceDeviation 0.2, productionGrace 2d, shipLeadDays 3.
// Amount 30000 = 6 % of the threshold -> amount band 2.
const AMOUNT = '30000';

const credit = (o: Partial<CreditFacts> = {}): RiskFacts => ({
  amount: AMOUNT,
  credit: { exposure: '50000', creditLimit: '100000', creditHold: false, overdueInvoices: 0, maxDaysOverdue: 0, ...o },
});
// requested 2026-12-10, transit 2 -> latest finish 2026-12-08
const production = (o: Partial<ProductionFacts> = {}): RiskFacts => ({
  amount: AMOUNT,
  production: { shortfallQty: 10, plannedFinish: '2026-12-01T09:00:00.000Z', requestedDeliveryDate: '2026-12-10', transitDays: 2, ...o },
});
const logistics = (o: Partial<LogisticsFacts> = {}): RiskFacts => ({
  amount: AMOUNT,
  logistics: { regionServed: true, carrierReliability: '0.95', transitDays: 3, meetsRequestedDate: true, ...o },
});
const market = (o: Partial<MarketFacts> = {}): RiskFacts => ({
  amount: AMOUNT,
  market: { minDeviation: '-0.0500', margin: '0.2500', minMargin: '0.15', ...o },
});

const one = (facts: RiskFacts) => {
  const r = assessRisks(facts, DEFAULT_POLICY);
  expect(r).toHaveLength(1);
  return r[0];
};
const pis = (facts: RiskFacts) => {
  const a = one(facts);
  return [a.code, a.probability, a.impact, a.score, a.level];
};

describe('riskLevel and orderRiskLevel', () => {
  it('uses the thresholds 15 / 8, inclusive', () => {
    expect(RISK_LEVEL_THRESHOLDS).toEqual({ high: 15, medium: 8 });
    expect(riskLevel(25)).toBe('high');
    expect(riskLevel(15)).toBe('high');
    expect(riskLevel(14)).toBe('medium');
    expect(riskLevel(8)).toBe('medium');
    expect(riskLevel(7)).toBe('low');
    expect(riskLevel(1)).toBe('low');
  });
  it('takes the highest level, low when none', () => {
    expect(orderRiskLevel([])).toBe('low');
    expect(orderRiskLevel([{ level: 'low' }, { level: 'medium' }])).toBe('medium');
    expect(orderRiskLevel([{ level: 'medium' }, { level: 'high' }, { level: 'low' }])).toBe('high');
  });
});

describe('amountImpact (amount / 500000)', () => {
  it.each([
    ['500000', 5],
    ['499999.99', 4],
    ['250000', 4],
    ['249999.99', 3],
    ['100000', 3],
    ['99999.99', 2],
    ['25000', 2],
    ['24999.99', 1],
    ['0', 1],
  ])('%s -> %i', (amount, band) => expect(amountImpact(amount, '500000')).toBe(band));
  it('is 3 without an amount and 5 with a zero threshold', () => {
    expect(amountImpact(undefined, '500000')).toBe(3);
    expect(amountImpact('1', '0')).toBe(5);
  });
});

describe('credit risk', () => {
  it('none at exactly 75 % of the limit and no overdue invoices', () => {
    expect(assessRisks(credit({ exposure: '75000' }))).toEqual([]);
  });
  it('high utilisation just over 75 %: 3 x max(1, band 2) = 6 low', () => {
    expect(pis(credit({ exposure: '75000.01' }))).toEqual(['high_utilisation', 3, 2, 6, 'low']);
  });
  it('exactly 90 % is still high utilisation', () => {
    expect(one(credit({ exposure: '90000' })).code).toBe('high_utilisation');
  });
  it('near the limit over 90 %: 4 x 2 = 8 medium', () => {
    expect(pis(credit({ exposure: '90000.01' }))).toEqual(['near_limit', 4, 2, 8, 'medium']);
  });
  it('exactly at the limit is near it, not over', () => {
    expect(one(credit({ exposure: '100000' })).code).toBe('near_limit');
  });
  it('over the limit: 5 x max(3, band 2) = 15 high, owner finance', () => {
    const a = one(credit({ exposure: '100000.01' }));
    expect([a.code, a.probability, a.impact, a.score, a.level, a.owner]).toEqual(['over_limit', 5, 3, 15, 'high', 'finance']);
    expect(a.reason).toContain('over the credit limit 100000.00');
    expect(a.control).toMatch(/prepayment/);
  });
  it('over the limit on a big order: impact 5', () => {
    expect(pis({ ...credit({ exposure: '700000' }), amount: '600000' })).toEqual(['over_limit', 5, 5, 25, 'high']);
  });
  it('a zero limit: any exposure is over it, none is no risk', () => {
    expect(one(credit({ creditLimit: '0', exposure: '0.01' })).code).toBe('over_limit');
    expect(assessRisks(credit({ creditLimit: '0', exposure: '0' }))).toEqual([]);
  });
  it('credit hold is 5 x 5 whatever the exposure, and wins over other credit rules', () => {
    expect(pis(credit({ creditHold: true, exposure: '0' }))).toEqual(['credit_hold', 5, 5, 25, 'high']);
    const a = one(credit({ creditHold: true, exposure: '200000' }));
    expect(a.code).toBe('credit_hold');
    expect(a.reason).toMatch(/credit hold; exposure 200000.00 is over/);
  });
  it('overdue raise by age: >0 +1, >15 +2, >30 +3', () => {
    expect(overdueRaise({ overdueInvoices: 0, maxDaysOverdue: 40 })).toBe(0);
    expect(overdueRaise({ overdueInvoices: 1, maxDaysOverdue: 0 })).toBe(0);
    expect(overdueRaise({ overdueInvoices: 1, maxDaysOverdue: 1 })).toBe(1);
    expect(overdueRaise({ overdueInvoices: 1, maxDaysOverdue: 15 })).toBe(1);
    expect(overdueRaise({ overdueInvoices: 1, maxDaysOverdue: 16 })).toBe(2);
    expect(overdueRaise({ overdueInvoices: 1, maxDaysOverdue: 30 })).toBe(2);
    expect(overdueRaise({ overdueInvoices: 1, maxDaysOverdue: 31 })).toBe(3);
  });
  it('overdue invoices alone: p 1 + raise', () => {
    expect(pis(credit({ overdueInvoices: 2, maxDaysOverdue: 10 }))).toEqual(['overdue_history', 2, 2, 4, 'low']);
    expect(pis(credit({ overdueInvoices: 2, maxDaysOverdue: 16 }))).toEqual(['overdue_history', 3, 2, 6, 'low']);
    expect(pis(credit({ overdueInvoices: 2, maxDaysOverdue: 31 }))).toEqual(['overdue_history', 4, 2, 8, 'medium']);
  });
  it('no overdue risk when nothing is past due yet', () => {
    expect(assessRisks(credit({ overdueInvoices: 1, maxDaysOverdue: 0 }))).toEqual([]);
  });
  it('overdue age raises the utilisation rule, capped at 5', () => {
    const a = one(credit({ exposure: '95000', overdueInvoices: 1, maxDaysOverdue: 40 }));
    expect([a.code, a.probability, a.impact, a.score, a.level]).toEqual(['near_limit', 5, 2, 10, 'medium']);
    expect(a.reason).toMatch(/1 overdue invoice\(s\), the oldest 40 days overdue; probability raised by 3/);
  });
});

describe('production risk', () => {
  it('none without a shortfall, even when the plan is late', () => {
    expect(assessRisks(production({ shortfallQty: 0, plannedFinish: '2027-01-01T00:00:00.000Z' }))).toEqual([]);
  });
  it('make-to-order with slack: 2 x 2 = 4 low, owner production', () => {
    // finish 12-06 + 2d grace = 12-08 <= latest finish 12-08
    const a = one(production({ plannedFinish: '2026-12-06T10:00:00.000Z' }));
    expect([a.code, a.probability, a.impact, a.score, a.level, a.owner]).toEqual(['make_to_order', 2, 2, 4, 'low', 'production']);
  });
  it('no slack within the production grace: 3 x 2 = 6', () => {
    expect(pis(production({ plannedFinish: '2026-12-07T10:00:00.000Z' }))).toEqual(['no_slack', 3, 2, 6, 'low']);
    // finishing exactly on the latest finish day is on time, but without slack
    expect(one(production({ plannedFinish: '2026-12-08T23:00:00.000Z' })).code).toBe('no_slack');
  });
  it('not planned yet: 3 x max(2, band) = 6', () => {
    expect(pis(production({ plannedFinish: undefined }))).toEqual(['not_planned', 3, 2, 6, 'low']);
  });
  it('finishing after requested date minus transit: 4 x 3 = 12 medium', () => {
    expect(pis(production({ plannedFinish: '2026-12-09T00:00:00.000Z' }))).toEqual(['late_for_shipping', 4, 3, 12, 'medium']);
    // on the requested day itself is still "only" too late to ship
    expect(one(production({ plannedFinish: '2026-12-10T23:59:00.000Z' })).code).toBe('late_for_shipping');
  });
  it('finishing after the requested date: 5 x 3 = 15 high', () => {
    const a = one(production({ plannedFinish: '2026-12-11T00:00:00.000Z' }));
    expect([a.code, a.probability, a.impact, a.score, a.level]).toEqual(['late_for_requested_date', 5, 3, 15, 'high']);
    expect(a.reason).toBe('planned finish 2026-12-11 is after the requested delivery date 2026-12-10');
  });
  it('without a transit time uses policy.shipLeadDays (3): latest finish 12-07', () => {
    expect(one(production({ transitDays: undefined, plannedFinish: '2026-12-08T00:00:00.000Z' })).code).toBe('late_for_shipping');
  });
  it('counts calendar days across a month end (2026-03-01 minus 1 day = 02-28)', () => {
    const f = { requestedDeliveryDate: '2026-03-01', transitDays: 1 };
    expect(one(production({ ...f, plannedFinish: '2026-02-28T12:00:00.000Z' })).code).toBe('no_slack');
    expect(one(production({ ...f, plannedFinish: '2026-03-01T01:00:00.000Z' })).code).toBe('late_for_shipping');
  });
  it('impact grows with the amount', () => {
    expect(pis({ ...production({ plannedFinish: '2026-12-09T00:00:00.000Z' }), amount: '300000' })).toEqual([
      'late_for_shipping',
      4,
      4,
      16,
      'high',
    ]);
  });
});

describe('logistics risk', () => {
  it('none with a reliable carrier on time', () => {
    expect(assessRisks(logistics())).toEqual([]);
  });
  it('region not served: 5 x 4 = 20 high whatever the amount, owner logistics', () => {
    const a = one({ ...logistics({ regionServed: false }), amount: '100' });
    expect([a.code, a.probability, a.impact, a.score, a.level, a.owner]).toEqual(['region_not_served', 5, 4, 20, 'high', 'logistics']);
  });
  it('ETA after the requested date: 4 x 2 = 8 medium; 4 x 5 on a big order', () => {
    expect(pis(logistics({ meetsRequestedDate: false }))).toEqual(['eta_after_requested_date', 4, 2, 8, 'medium']);
    expect(pis({ ...logistics({ meetsRequestedDate: false }), amount: '600000' })).toEqual(['eta_after_requested_date', 4, 5, 20, 'high']);
  });
  it('reliability below 0.9: 3 x 2 = 6; exactly 0.9 is fine', () => {
    expect(pis(logistics({ carrierReliability: '0.89' }))).toEqual(['low_carrier_reliability', 3, 2, 6, 'low']);
    expect(assessRisks(logistics({ carrierReliability: '0.9' }))).toEqual([]);
  });
  it('transit over 7 days: 2 x 2 = 4; exactly 7 is fine', () => {
    expect(pis(logistics({ transitDays: 8 }))).toEqual(['long_transit', 2, 2, 4, 'low']);
    expect(assessRisks(logistics({ transitDays: 7 }))).toEqual([]);
  });
  it('unknown carrier facts are not risks by themselves', () => {
    expect(assessRisks({ logistics: { regionServed: true } })).toEqual([]);
  });
  it('several at once: the highest score decides, the reason lists all', () => {
    const a = one(logistics({ meetsRequestedDate: false, carrierReliability: '0.80' }));
    expect(a.code).toBe('eta_after_requested_date');
    expect(a.reason).toBe('carrier ETA is after the requested delivery date (3 transit days); carrier reliability 0.80 is below 0.9');
  });
});

describe('market risk', () => {
  it('none exactly 10 % below list with margin exactly at the minimum', () => {
    expect(assessRisks(market({ minDeviation: '-0.1000', margin: '0.1500' }))).toEqual([]);
  });
  it('more than 10 % below list: 3 x 2 = 6, owner finance', () => {
    const a = one(market({ minDeviation: '-0.1001' }));
    expect([a.code, a.probability, a.impact, a.score, a.owner]).toEqual(['below_list', 3, 2, 6, 'finance']);
  });
  it('exactly policy.priceDeviation (20 %) below is below list; more is far below: 4 x 2 = 8', () => {
    expect(one(market({ minDeviation: '-0.2000' })).code).toBe('below_list');
    expect(pis(market({ minDeviation: '-0.2001' }))).toEqual(['far_below_list', 4, 2, 8, 'medium']);
  });
  it('prices above list are no risk', () => {
    expect(assessRisks(market({ minDeviation: '0.3000' }))).toEqual([]);
  });
  it('margin below the minimum: 4 x 2 = 8; zero margin counts as below', () => {
    expect(pis(market({ margin: '0.1499' }))).toEqual(['margin_below_minimum', 4, 2, 8, 'medium']);
    expect(one(market({ margin: '0.0000' })).code).toBe('margin_below_minimum');
  });
  it('negative margin: 5 x 3 = 15 high', () => {
    expect(pis(market({ margin: '-0.0100' }))).toEqual(['sold_at_loss', 5, 3, 15, 'high']);
  });
  it('a tie keeps the earlier rule (margin before discount)', () => {
    const a = one(market({ margin: '0.1000', minDeviation: '-0.3000' }));
    expect(a.code).toBe('margin_below_minimum');
    expect(a.reason).toBe('margin 0.1000 is below the minimum 0.15; a price is 30 % below list (more than 20 %)');
  });
});

describe('assessRisks', () => {
  it('returns one entry per category with a risk, in category order', () => {
    const facts: RiskFacts = {
      amount: AMOUNT,
      credit: credit({ exposure: '95000' }).credit,
      production: production({ plannedFinish: undefined }).production,
      logistics: logistics().logistics,
      market: market({ margin: '0.1' }).market,
    };
    const r = assessRisks(facts);
    expect(r.map((a) => [a.category, a.code, a.owner, a.level])).toEqual([
      ['credit', 'near_limit', 'finance', 'medium'],
      ['production', 'not_planned', 'production', 'low'],
      ['market', 'margin_below_minimum', 'finance', 'medium'],
    ]);
    expect(orderRiskLevel(r)).toBe('medium');
    for (const a of r) expect(a.score).toBe(a.probability * a.impact);
  });
  it('no facts, no risks', () => {
    expect(assessRisks({})).toEqual([]);
  });
  it('uses the given policy', () => {
    // threshold 40000: 30000 is 75 % -> band 4; over_limit impact max(3, 4) = 4
    const p = { ...DEFAULT_POLICY, jointReviewThreshold: '40000' };
    expect(assessRisks(credit({ exposure: '100000.01' }), p)[0]).toMatchObject({ impact: 4, score: 20 });
  });
});

describe('requiresJointReview', () => {
  const base = {
    totalAmount: '100000',
    threshold: '500000',
    special: false,
    paymentTerms: 'NET_30',
    standardTerms: Object.keys(DEFAULT_POLICY.paymentTerms),
    riskLevel: 'medium' as const,
  };
  it('is not required for an ordinary order', () => {
    expect(requiresJointReview(base)).toEqual({ required: false, reasons: [] });
  });
  it('an amount exactly at the threshold is not above it', () => {
    expect(requiresJointReview({ ...base, totalAmount: '500000.00' }).required).toBe(false);
  });
  it('amount above the threshold', () => {
    expect(requiresJointReview({ ...base, totalAmount: '500000.01' })).toEqual({
      required: true,
      reasons: ['amount 500000.01 is above the joint-review threshold 500000.00'],
    });
  });
  it('special order', () => {
    expect(requiresJointReview({ ...base, special: true })).toEqual({ required: true, reasons: ['special order'] });
  });
  it('non-standard payment terms', () => {
    expect(requiresJointReview({ ...base, paymentTerms: 'NET_90' })).toEqual({
      required: true,
      reasons: ['non-standard payment terms NET_90'],
    });
  });
  it('high risk', () => {
    expect(requiresJointReview({ ...base, riskLevel: 'high' })).toEqual({ required: true, reasons: ['high risk'] });
    expect(requiresJointReview({ ...base, riskLevel: 'low' }).required).toBe(false);
  });
  it('lists every reason together', () => {
    const r = requiresJointReview({ ...base, totalAmount: '600000', special: true, paymentTerms: 'X', riskLevel: 'high' });
    expect(r.reasons).toHaveLength(4);
  });
});
