import { formatOrderNo, ORDER_NO_RE, parseOrderNo } from '../../workflows/domain/order-number';

describe('order numbers', () => {
  it('pads the sequence to 6 digits', () => {
    expect(formatOrderNo(2026, 123)).toBe('SO-2026-000123');
    expect(formatOrderNo(2026, 1)).toBe('SO-2026-000001');
    expect(formatOrderNo(2026, 999999)).toBe('SO-2026-999999');
  });
  it('grows past 6 digits instead of wrapping', () => {
    expect(formatOrderNo(2026, 1234567)).toBe('SO-2026-1234567');
    expect(ORDER_NO_RE.test('SO-2026-1234567')).toBe(true);
  });
  it('rejects bad years and sequences', () => {
    expect(() => formatOrderNo(26, 1)).toThrow(/year/);
    expect(() => formatOrderNo(2026, 0)).toThrow(/sequence/);
    expect(() => formatOrderNo(2026, 1.5)).toThrow(/sequence/);
  });
  it('ORDER_NO_RE matches only the full format', () => {
    expect(ORDER_NO_RE.test('SO-2026-000123')).toBe(true);
    for (const bad of ['SO-2026-12345', 'so-2026-000123', 'SO-26-000123', 'XSO-2026-000123', 'SO-2026-000123 ', 'SO-2026-00012a'])
      expect(ORDER_NO_RE.test(bad)).toBe(false);
  });
  it('parses what it formats', () => {
    expect(parseOrderNo(formatOrderNo(2027, 42))).toEqual({ year: 2027, seq: 42 });
    expect(parseOrderNo('order-1')).toBeNull();
  });
});
