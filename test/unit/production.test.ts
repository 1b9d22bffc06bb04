import { planProduction } from '../../workflows/domain/production';

const START = '2026-03-01T09:00:00.000Z';

describe('planProduction', () => {
  it('starts after the lead time and rounds production days up', () => {
    // 250 / 100 -> 3 days; start +2d = 03-03, finish +3d = 03-06
    expect(planProduction({ quantity: 250, leadTimeDays: 2, dailyCapacity: 100, startAt: START })).toEqual({
      plannedStart: '2026-03-03T09:00:00.000Z',
      plannedFinish: '2026-03-06T09:00:00.000Z',
      days: 3,
    });
  });
  it('uses exactly quantity / capacity days when divisible', () => {
    expect(planProduction({ quantity: 300, leadTimeDays: 0, dailyCapacity: 100, startAt: START })).toMatchObject({
      plannedStart: START,
      plannedFinish: '2026-03-04T09:00:00.000Z',
      days: 3,
    });
  });
  it('takes at least one day', () => {
    expect(planProduction({ quantity: 1, leadTimeDays: 0, dailyCapacity: 1000, startAt: START }).days).toBe(1);
  });
  it('divides exactly (no float artefacts)', () => {
    expect(planProduction({ quantity: 1.1, leadTimeDays: 0, dailyCapacity: 0.1, startAt: START }).days).toBe(11);
  });
  it('crosses month ends', () => {
    expect(planProduction({ quantity: 10, leadTimeDays: 27, dailyCapacity: 5, startAt: '2026-02-01T00:00:00.000Z' })).toEqual({
      plannedStart: '2026-02-28T00:00:00.000Z',
      plannedFinish: '2026-03-02T00:00:00.000Z',
      days: 2,
    });
  });
  it('throws on non-positive capacity or quantity, or a negative lead time', () => {
    expect(() => planProduction({ quantity: 10, leadTimeDays: 0, dailyCapacity: 0, startAt: START })).toThrow(/dailyCapacity/);
    expect(() => planProduction({ quantity: 10, leadTimeDays: 0, dailyCapacity: -5, startAt: START })).toThrow(/dailyCapacity/);
    expect(() => planProduction({ quantity: 0, leadTimeDays: 0, dailyCapacity: 5, startAt: START })).toThrow(/quantity/);
    expect(() => planProduction({ quantity: -1, leadTimeDays: 0, dailyCapacity: 5, startAt: START })).toThrow(/quantity/);
    expect(() => planProduction({ quantity: 1, leadTimeDays: -1, dailyCapacity: 5, startAt: START })).toThrow(/leadTimeDays/);
  });
});
