import { fmt, money, orderTotals, lineTotals } from '../../workflows/domain/money';

describe('money / fmt', () => {
  it('rounds half-up to 2 places', () => {
    expect(fmt('0.005')).toBe('0.01');
    expect(fmt('0.004')).toBe('0.00');
    expect(fmt('1.125')).toBe('1.13');
    expect(fmt('2.675')).toBe('2.68'); // 2.675 as a float is 2.67499..., decimal is exact
    expect(fmt('-1.125')).toBe('-1.13');
  });
  it('never writes negative zero', () => {
    expect(fmt('-0.001')).toBe('0.00');
  });
  it('pads and accepts numbers and Decimals', () => {
    expect(fmt(3)).toBe('3.00');
    expect(fmt(money('1234.5'))).toBe('1234.50');
  });
  it('does not lose precision like floats', () => {
    expect(fmt(money('0.1').plus('0.2'))).toBe('0.30');
    expect(money('0.1').plus('0.2').toString()).toBe('0.3');
  });
  it('rejects non-numbers', () => {
    expect(() => money('abc')).toThrow();
    expect(() => money(Infinity)).toThrow();
  });
});

describe('orderTotals', () => {
  it('computes 13% tax per line with half-up rounding', () => {
    // line 1: 3 x 33.33 = 99.99; tax 99.99 x 0.13 = 12.9987 -> 13.00
    // line 2: 1 x 0.05 = 0.05; tax 0.0065 -> 0.01
    const t = orderTotals([
      { quantity: 3, unitPrice: '33.33', taxRate: '0.13' },
      { quantity: 1, unitPrice: '0.05', taxRate: '0.13' },
    ]);
    expect(t.lines).toEqual([
      { net: '99.99', tax: '13.00', gross: '112.99' },
      { net: '0.05', tax: '0.01', gross: '0.06' },
    ]);
    expect(t).toMatchObject({ subtotal: '100.04', tax: '13.01', total: '113.05' });
  });
  it('rounds each line before summing (not the sum)', () => {
    // each line tax 0.005 -> 0.01; summing unrounded would give 0.01 total, not 0.02
    const t = orderTotals([
      { quantity: 1, unitPrice: '0.05', taxRate: '0.1' },
      { quantity: 1, unitPrice: '0.05', taxRate: '0.1' },
    ]);
    expect(t.tax).toBe('0.02');
    expect(t.total).toBe('0.12');
  });
  it('rounds the net half-up', () => {
    expect(lineTotals({ quantity: 3, unitPrice: '0.335', taxRate: '0' })).toEqual({ net: '1.01', tax: '0.00', gross: '1.01' });
  });
  it('handles large amounts exactly', () => {
    const t = orderTotals([{ quantity: 1000, unitPrice: '899999.99', taxRate: '0.13' }]);
    expect(t).toMatchObject({ subtotal: '899999990.00', tax: '116999998.70', total: '1016999988.70' });
  });
  it('is zero for no lines', () => {
    expect(orderTotals([])).toEqual({ subtotal: '0.00', tax: '0.00', total: '0.00', lines: [] });
  });
  it('rejects negative quantities and tax rates', () => {
    expect(() => orderTotals([{ quantity: -1, unitPrice: '1', taxRate: '0.13' }])).toThrow(/quantity/);
    expect(() => orderTotals([{ quantity: 1, unitPrice: '1', taxRate: '-0.1' }])).toThrow(/tax rate/);
  });
});
