import { dueDate, dunningSchedule, outstanding } from '../../workflows/domain/billing';
import { DEFAULT_POLICY } from '../../workflows/domain/policy';

describe('dueDate', () => {
  it('adds the credit period', () => {
    expect(dueDate('2026-01-15T10:30:00.000Z', { creditPeriod: '30d', prepayment: false })).toBe('2026-02-14T10:30:00.000Z');
    expect(dueDate('2026-02-20T00:00:00.000Z', DEFAULT_POLICY.paymentTerms.NET_15)).toBe('2026-03-07T00:00:00.000Z');
  });
  it('works with test-sized periods', () => {
    expect(dueDate('2026-01-01T00:00:00.000Z', { creditPeriod: '90s', prepayment: true })).toBe('2026-01-01T00:01:30.000Z');
  });
});

describe('dunningSchedule', () => {
  it('places each default level around the due date, negative offsets before it', () => {
    expect(dunningSchedule('2026-03-10T00:00:00.000Z', DEFAULT_POLICY.dunning)).toEqual([
      { code: 'friendly', at: '2026-03-07T00:00:00.000Z', final: false },
      { code: 'overdue_1', at: '2026-03-11T00:00:00.000Z', final: false },
      { code: 'overdue_7', at: '2026-03-17T00:00:00.000Z', final: false },
      { code: 'overdue_15', at: '2026-03-25T00:00:00.000Z', final: false },
      { code: 'final', at: '2026-04-09T00:00:00.000Z', final: true },
    ]);
  });
  it('handles second-sized offsets', () => {
    expect(
      dunningSchedule('2026-03-10T00:00:00.000Z', [
        { code: 'early', offset: '-5s' },
        { code: 'last', offset: '10s', final: true },
      ]),
    ).toEqual([
      { code: 'early', at: '2026-03-09T23:59:55.000Z', final: false },
      { code: 'last', at: '2026-03-10T00:00:10.000Z', final: true },
    ]);
  });
  it('is empty with no levels', () => {
    expect(dunningSchedule('2026-03-10T00:00:00.000Z', [])).toEqual([]);
  });
});

describe('outstanding', () => {
  it('is amount minus paid', () => {
    expect(outstanding('1130.00', '500.5')).toBe('629.50');
    expect(outstanding('0.30', '0.1')).toBe('0.20');
  });
  it('is zero when paid in full or overpaid', () => {
    expect(outstanding('100', '100')).toBe('0.00');
    expect(outstanding('100', '150')).toBe('0.00');
  });
});
