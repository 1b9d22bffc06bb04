import { priceReview, priceDeviation, type PricedLine } from '../../workflows/domain/pricing';

const P = { minMargin: '0.15', priceDeviation: '0.2' };
const line = (o: Partial<PricedLine>): PricedLine => ({
  lineNo: 1,
  sku: 'SKU-A',
  quantity: 1,
  unitPrice: '100.00',
  listPrice: '100.00',
  standardCost: '50.00',
  ...o,
});

describe('priceDeviation', () => {
  it('is signed, 4 dp', () => {
    expect(priceDeviation('12.00', '20.00')).toBe('-0.4000');
    expect(priceDeviation('110', '100')).toBe('0.1000');
    expect(priceDeviation('10', '30')).toBe('-0.6667');
    expect(priceDeviation('20', '30')).toBe('-0.3333');
  });
  it('is 0 without a list price', () => {
    expect(priceDeviation('10', '0')).toBe('0.0000');
  });
});

describe('priceReview', () => {
  it('computes revenue, cost and margin across lines', () => {
    // revenue 2x100 + 3x10.50 = 231.50; cost 2x60 + 3x9 = 147.00; margin 84.5/231.5 = 0.36501 -> 0.3650
    const r = priceReview(
      [line({ quantity: 2, unitPrice: '100', standardCost: '60' }), line({ lineNo: 2, sku: 'SKU-B', quantity: 3, unitPrice: '10.50', listPrice: '10.50', standardCost: '9' })],
      P,
    );
    expect(r.revenue).toBe('231.50');
    expect(r.cost).toBe('147.00');
    expect(r.margin).toBe('0.3650');
    expect(r.marginOk).toBe(true);
    // line 2 margin (10.5-9)/10.5 = 0.1429 < 0.15
    expect(r.lines.map((l) => l.marginOk)).toEqual([true, false]);
  });
  it('flags prices below and far from list', () => {
    const r = priceReview(
      [
        line({ unitPrice: '79.99' }), // -0.2001: far
        line({ lineNo: 2, unitPrice: '80.00' }), // -0.2000: exactly at the limit, not far
        line({ lineNo: 3, unitPrice: '120.01' }), // +0.2001: far, above
        line({ lineNo: 4, unitPrice: '100.00' }),
      ],
      P,
    );
    expect(r.lines.map((l) => [l.deviation, l.belowList, l.farFromList])).toEqual([
      ['-0.2001', true, true],
      ['-0.2000', true, false],
      ['0.2001', false, true],
      ['0.0000', false, false],
    ]);
  });
  it('accepts a margin exactly at the minimum', () => {
    const r = priceReview([line({ unitPrice: '100', standardCost: '85' })], P);
    expect(r.margin).toBe('0.1500');
    expect(r.marginOk).toBe(true);
    const below = priceReview([line({ unitPrice: '100', standardCost: '85.01' })], P);
    expect(below.margin).toBe('0.1499');
    expect(below.marginOk).toBe(false);
  });
  it('reports a negative margin when selling below cost', () => {
    const r = priceReview([line({ unitPrice: '40', standardCost: '50' })], P);
    expect(r.margin).toBe('-0.2500');
    expect(r.marginOk).toBe(false);
  });
  it('zero revenue gives margin 0 and not ok', () => {
    const r = priceReview([line({ unitPrice: '0', standardCost: '0' })], { minMargin: '0', priceDeviation: '0.2' });
    expect(r).toMatchObject({ revenue: '0.00', cost: '0.00', margin: '0.0000', marginOk: false });
    expect(r.lines[0].marginOk).toBe(false);
    expect(priceReview([], P)).toEqual({ revenue: '0.00', cost: '0.00', margin: '0.0000', marginOk: false, lines: [] });
  });
  it('rounds line revenue half-up per line', () => {
    // 3 x 0.335 = 1.005 -> 1.01
    expect(priceReview([line({ quantity: 3, unitPrice: '0.335', listPrice: '0.335', standardCost: '0.1' })], P).revenue).toBe('1.01');
  });
});
