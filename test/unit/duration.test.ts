import { addDuration, isDuration, parseDuration } from '../../workflows/domain/duration';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['90s', 90_000],
    ['15m', 900_000],
    ['24h', 86_400_000],
    ['3d', 259_200_000],
    ['2w', 1_209_600_000],
    ['1.5h', 5_400_000],
    ['-3d', -259_200_000],
    ['+1d', 86_400_000],
    [' 2s ', 2000],
  ])('%s = %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });
  it.each(['', '3', 'd', '3 d', '3days', '1y', '--1d', 'P1D'])('rejects %p', (text) => {
    expect(() => parseDuration(text)).toThrow(/not a duration/);
  });
});

describe('isDuration', () => {
  it('accepts only duration strings', () => {
    expect(isDuration('7d')).toBe(true);
    expect(isDuration('-3d')).toBe(true);
    expect(isDuration('7 days')).toBe(false);
    expect(isDuration(7)).toBe(false);
    expect(isDuration(undefined)).toBe(false);
  });
});

describe('addDuration', () => {
  it('adds and subtracts on ISO timestamps', () => {
    expect(addDuration('2026-12-31T23:00:00.000Z', '2h')).toBe('2027-01-01T01:00:00.000Z');
    expect(addDuration('2026-03-01T00:00:00.000Z', '-1d')).toBe('2026-02-28T00:00:00.000Z');
    expect(addDuration('2028-02-28T00:00:00.000Z', '1d')).toBe('2028-02-29T00:00:00.000Z');
  });
});
