import {
  accuracyRate,
  inventoryTurnover,
  orderProfit,
  parsePeriod,
  periodOf,
  previousPeriods,
  profitMargin,
  satisfaction,
  shiftPeriod,
  timelinessRate,
  trendPeriods,
} from '../../workflows/domain/kpi';

const keys = (ps: { key: string }[]) => ps.map((p) => p.key);

describe('parsePeriod', () => {
  it('a month: start inclusive, end exclusive, UTC', () => {
    expect(parsePeriod('2026-11')).toEqual({
      key: '2026-11',
      kind: 'month',
      start: '2026-11-01T00:00:00.000Z',
      end: '2026-12-01T00:00:00.000Z',
    });
  });
  it('December ends at the next year', () => {
    expect(parsePeriod('2026-12')).toMatchObject({ start: '2026-12-01T00:00:00.000Z', end: '2027-01-01T00:00:00.000Z' });
  });
  it('February in a leap year and not', () => {
    expect(parsePeriod('2024-02')).toMatchObject({ start: '2024-02-01T00:00:00.000Z', end: '2024-03-01T00:00:00.000Z' });
    expect(parsePeriod('2026-02').end).toBe('2026-03-01T00:00:00.000Z');
  });
  it('quarters', () => {
    expect(parsePeriod('2026-Q4')).toEqual({
      key: '2026-Q4',
      kind: 'quarter',
      start: '2026-10-01T00:00:00.000Z',
      end: '2027-01-01T00:00:00.000Z',
    });
    expect(parsePeriod('2026-Q1')).toMatchObject({ start: '2026-01-01T00:00:00.000Z', end: '2026-04-01T00:00:00.000Z' });
    expect(parsePeriod('2026-q2').key).toBe('2026-Q2');
  });
  it('a year', () => {
    expect(parsePeriod('2026')).toEqual({
      key: '2026',
      kind: 'year',
      start: '2026-01-01T00:00:00.000Z',
      end: '2027-01-01T00:00:00.000Z',
    });
  });
  it('trims surrounding space', () => {
    expect(parsePeriod(' 2026-11 ').key).toBe('2026-11');
  });
  it('rejects months and quarters out of range with a clear message', () => {
    expect(() => parsePeriod('2026-13')).toThrow('invalid period "2026-13": month must be 01-12');
    expect(() => parsePeriod('2026-00')).toThrow(/month must be 01-12/);
    expect(() => parsePeriod('2026-Q5')).toThrow('invalid period "2026-Q5": quarter must be Q1-Q4');
    expect(() => parsePeriod('2026-Q0')).toThrow(/quarter must be Q1-Q4/);
  });
  it.each(['', 'abc', '26-11', '2026-1', '2026/11', '2026-11-01', '2026-Q', '2026-H1', '0999'])('rejects "%s"', (t) => {
    expect(() => parsePeriod(t)).toThrow(/expected YYYY-MM \(e.g. 2026-11\), YYYY-Qn \(e.g. 2026-Q4\) or YYYY/);
  });
});

describe('periodOf', () => {
  it('finds the month, quarter and year of an instant', () => {
    expect(periodOf('month', '2026-11-15T08:00:00.000Z').key).toBe('2026-11');
    expect(periodOf('quarter', '2026-11-15T08:00:00.000Z').key).toBe('2026-Q4');
    expect(periodOf('year', '2026-11-15T08:00:00.000Z')).toEqual(parsePeriod('2026'));
  });
  it('the last millisecond of December is in Q4; midnight is the next period', () => {
    expect(periodOf('quarter', '2026-12-31T23:59:59.999Z')).toEqual(parsePeriod('2026-Q4'));
    expect(periodOf('month', '2027-01-01T00:00:00.000Z').key).toBe('2027-01');
    expect(periodOf('quarter', '2026-03-31T23:59:59.999Z').key).toBe('2026-Q1');
    expect(periodOf('quarter', '2026-04-01T00:00:00.000Z').key).toBe('2026-Q2');
  });
  it('leap day belongs to February', () => {
    expect(periodOf('month', '2024-02-29T23:59:59.999Z').key).toBe('2024-02');
  });
  it('boundaries are UTC: 07:00 on 1 January in Shanghai is still December', () => {
    expect(periodOf('month', '2026-01-01T07:00:00+08:00').key).toBe('2025-12');
  });
  it('rejects a bad time or kind', () => {
    expect(() => periodOf('month', 'yesterday')).toThrow('not an ISO time: "yesterday"');
    expect(() => periodOf('week' as never, '2026-01-01T00:00:00Z')).toThrow(/unknown period kind "week"/);
  });
});

describe('previous periods and trends', () => {
  it('months back across a year end, oldest first', () => {
    expect(keys(previousPeriods('2026-02', 3))).toEqual(['2025-11', '2025-12', '2026-01']);
  });
  it('quarters and years', () => {
    expect(keys(previousPeriods('2026-Q1', 2))).toEqual(['2025-Q3', '2025-Q4']);
    expect(keys(previousPeriods(parsePeriod('2026'), 2))).toEqual(['2024', '2025']);
    expect(previousPeriods('2026-Q1', 2)[1]).toEqual(parsePeriod('2025-Q4'));
  });
  it('zero periods back is empty; negative is an error', () => {
    expect(previousPeriods('2026-05', 0)).toEqual([]);
    expect(() => previousPeriods('2026-05', -1)).toThrow(/not negative/);
  });
  it('a trend ends with the period itself', () => {
    expect(keys(trendPeriods('2026-Q1', 3))).toEqual(['2025-Q3', '2025-Q4', '2026-Q1']);
    expect(keys(trendPeriods('2026-11', 1))).toEqual(['2026-11']);
  });
  it('shiftPeriod moves both ways', () => {
    expect(shiftPeriod('2026-12', 1).key).toBe('2027-01');
    expect(shiftPeriod('2026-01', -13).key).toBe('2024-12');
    expect(shiftPeriod('2026-Q4', 1).key).toBe('2027-Q1');
  });
});

describe('rates', () => {
  it('timeliness: 17 of 20 stages within limit', () => {
    expect(timelinessRate(17, 20)).toEqual({ value: '0.8500', numerator: '17', denominator: '20' });
  });
  it('rounds half-up to 4 places', () => {
    expect(timelinessRate(2, 3).value).toBe('0.6667');
    expect(timelinessRate(1, 3).value).toBe('0.3333');
    expect(timelinessRate(1, 32).value).toBe('0.0313'); // 0.03125
  });
  it('null with a zero denominator', () => {
    expect(timelinessRate(0, 0)).toEqual({ value: null, numerator: '0', denominator: '0' });
    expect(accuracyRate(0, 0).value).toBeNull();
  });
  it('accepts counts as bigint and string (from SQL)', () => {
    expect(timelinessRate(5n, 8n)).toEqual({ value: '0.6250', numerator: '5', denominator: '8' });
    expect(accuracyRate('45', '50').value).toBe('0.9000');
  });
  it('accuracy: all, none', () => {
    expect(accuracyRate(50, 50).value).toBe('1.0000');
    expect(accuracyRate(0, 50).value).toBe('0.0000');
  });
  it('rejects impossible counts', () => {
    expect(() => timelinessRate(21, 20)).toThrow('stagesWithinLimit (21) cannot exceed stagesFinished (20)');
    expect(() => timelinessRate(-1, 5)).toThrow(/whole number, not negative/);
    expect(() => accuracyRate(1.5, 3)).toThrow(/ordersWithoutCorrection must be a whole number/);
    expect(() => accuracyRate('x', 3)).toThrow('ordersWithoutCorrection is not a number: x');
  });
});

describe('satisfaction', () => {
  it('average rating (2 dp) and complaint rate (4 dp)', () => {
    // 37 / 9 = 4.111 -> 4.11; 2 / 40 = 0.05
    expect(satisfaction({ ratingSum: 37, ratingCount: 9, complaints: 2, orders: 40 })).toEqual({
      averageRating: { value: '4.11', numerator: '37', denominator: '9' },
      complaintRate: { value: '0.0500', numerator: '2', denominator: '40' },
    });
  });
  it('average rounds half-up: 33 / 8 = 4.125 -> 4.13', () => {
    expect(satisfaction({ ratingSum: 33, ratingCount: 8, complaints: 0, orders: 8 }).averageRating.value).toBe('4.13');
  });
  it('no ratings or no orders: null values', () => {
    const s = satisfaction({ ratingSum: 0, ratingCount: 0, complaints: 0, orders: 0 });
    expect(s.averageRating).toEqual({ value: null, numerator: '0', denominator: '0' });
    expect(s.complaintRate.value).toBeNull();
  });
});

describe('inventory turnover and profit', () => {
  it('turnover = cost of goods shipped / average inventory', () => {
    expect(inventoryTurnover('120000', '40000')).toEqual({ value: '3.0000', numerator: '120000.00', denominator: '40000.00' });
    expect(inventoryTurnover('100000', '30000').value).toBe('3.3333');
    expect(inventoryTurnover('1000', '0').value).toBeNull();
  });
  it('profit margin = profit / revenue', () => {
    expect(profitMargin('25000', '100000')).toEqual({ value: '0.2500', numerator: '25000.00', denominator: '100000.00' });
    expect(profitMargin('-5000', '100000').value).toBe('-0.0500');
    expect(profitMargin('0', '0')).toEqual({ value: null, numerator: '0.00', denominator: '0.00' });
  });
  it('order profit = revenue - cost of goods - shipping', () => {
    expect(orderProfit({ revenue: '10000.00', costOfGoods: '7000.00', shippingCost: '500.00' })).toEqual({
      profit: '2500.00',
      margin: '0.2500',
    });
    expect(orderProfit({ revenue: '3000', costOfGoods: '2000', shippingCost: '0' }).margin).toBe('0.3333');
  });
  it('no revenue: profit is the loss, margin null', () => {
    expect(orderProfit({ revenue: '0', costOfGoods: '0', shippingCost: '120.50' })).toEqual({ profit: '-120.50', margin: null });
  });
});
