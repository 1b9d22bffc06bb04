import { creditExposure, creditLimitOf } from '../../workflows/domain/credit';

const base = { creditLimit: '900000', openReceivables: '300000', openOrders: '150000.50', thisOrder: '100000', creditHold: false };

describe('creditExposure', () => {
  it('sums receivables, open orders and this order', () => {
    expect(creditExposure(base)).toEqual({
      exposure: '550000.50',
      available: '349999.50',
      withinLimit: true,
      creditHold: false,
      ok: true,
    });
  });
  it('is within the limit when exactly at it', () => {
    const r = creditExposure({ ...base, openOrders: '500000' });
    expect(r).toMatchObject({ exposure: '900000.00', available: '0.00', withinLimit: true, ok: true });
  });
  it('goes negative over the limit', () => {
    const r = creditExposure({ ...base, thisOrder: '499999.51' });
    expect(r).toMatchObject({ exposure: '950000.01', available: '-50000.01', withinLimit: false, ok: false });
    expect(creditLimitOf(r)).toBe('900000.00');
  });
  it('credit hold blocks even within the limit', () => {
    expect(creditExposure({ ...base, creditHold: true })).toMatchObject({ withinLimit: true, creditHold: true, ok: false });
  });
  it('a zero limit admits only a zero exposure', () => {
    const zero = { creditLimit: '0', openReceivables: '0', openOrders: '0', thisOrder: '0', creditHold: false };
    expect(creditExposure(zero).ok).toBe(true);
    expect(creditExposure({ ...zero, thisOrder: '0.01' }).ok).toBe(false);
  });
});
