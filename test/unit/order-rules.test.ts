/**
 * The pure rules behind issue 10's order rules: date windows, currency
 * conversion for credit exposure, what an invoice owes back, who may see an
 * order.
 */
import { orderDateProblem } from '../../workflows/domain/order-dates';
import { convert, sumIn } from '../../workflows/domain/credit';
import { refundOwed } from '../../workflows/domain/billing';
import { maySeeOrder } from '../../workflows/domain/access';
import { DEFAULT_POLICY } from '../../workflows/domain/policy';

describe('orderDateProblem', () => {
  const today = '2026-12-01';
  const check = (d: { orderDate?: string; requestedDeliveryDate?: string }) => orderDateProblem(d, today, DEFAULT_POLICY)?.field ?? null;

  it('accepts dates inside the windows, edges included', () => {
    expect(check({ orderDate: '2025-12-01', requestedDeliveryDate: '2028-11-30' })).toBeNull();
    expect(check({ orderDate: '2026-12-02', requestedDeliveryDate: '2026-12-02' })).toBeNull(); // one day ahead of UTC
    expect(check({})).toBeNull();
  });

  it('names the field outside them', () => {
    expect(check({ orderDate: '1900-01-01' })).toBe('orderDate');
    expect(check({ orderDate: '2025-11-30' })).toBe('orderDate');
    expect(check({ orderDate: '2026-12-03' })).toBe('orderDate');
    expect(check({ requestedDeliveryDate: '9999-12-31' })).toBe('requestedDeliveryDate');
    expect(check({ requestedDeliveryDate: '2028-12-01' })).toBe('requestedDeliveryDate');
    expect(check({ requestedDeliveryDate: '2026-11-30' })).toBe('requestedDeliveryDate');
    expect(check({ orderDate: '2026-12-02', requestedDeliveryDate: '2026-12-01' })).toBe('requestedDeliveryDate');
  });
});

describe('currency conversion for credit exposure', () => {
  const rates = { CNY: '1', USD: '7.10', EUR: '7.70' };
  it('converts through CNY and sums in the target currency', () => {
    expect(convert('100.00', 'USD', 'CNY', rates).toFixed(2)).toBe('710.00');
    expect(convert('710.00', 'CNY', 'USD', rates).toFixed(2)).toBe('100.00');
    expect(convert('77.00', 'EUR', 'USD', rates).toFixed(2)).toBe('83.51');
    expect(sumIn([{ currency: 'USD', amount: '2712.00' }, { currency: 'CNY', amount: '2712.00' }], 'CNY', rates)).toBe('21967.20');
  });
  it('refuses a currency without a rate', () => {
    expect(() => convert('1', 'XAU', 'CNY', rates)).toThrow(/XAU/);
  });
});

describe('refundOwed', () => {
  it('is what was paid above the amount, or everything paid once void', () => {
    expect(refundOwed({ amount: '100.00', paid: '120.00', void: false })).toBe('20.00');
    expect(refundOwed({ amount: '100.00', paid: '80.00', void: false })).toBe('0.00');
    expect(refundOwed({ amount: '100.00', paid: '80.00', void: true })).toBe('80.00');
  });
});

describe('maySeeOrder', () => {
  it('a sales user sees only their own customers’ orders; other roles see all', () => {
    expect(maySeeOrder({ id: 'u1', role: 'sales' }, { customerOwnerId: 'u1' })).toBe(true);
    expect(maySeeOrder({ id: 'u2', role: 'sales' }, { customerOwnerId: 'u1' })).toBe(false);
    expect(maySeeOrder({ id: 'u2', role: 'sales' }, { customerOwnerId: null })).toBe(false);
    expect(maySeeOrder({ id: 'u3', role: 'finance' }, { customerOwnerId: 'u1' })).toBe(true);
  });
});
