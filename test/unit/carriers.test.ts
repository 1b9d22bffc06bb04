import { calendarDate, chooseCarrier, type CarrierOption } from '../../workflows/domain/carriers';

const carrier = (o: Partial<CarrierOption> & { code: string }): CarrierOption => ({
  name: o.code,
  serviceAreas: ['华东', 'North'],
  transitDays: 3,
  reliability: '0.95',
  rates: [
    { region: '华东', baseFee: '100', perKg: '2.5' },
    { region: 'North', baseFee: '50', perKg: '1' },
  ],
  ...o,
});

// ship 2026-03-01 08:00Z, requested 2026-03-05: a 4-day carrier arrives on the 5th (fine), 5 days is late
const REQ = { region: '华东', weightKg: '10.5', shipDate: '2026-03-01T08:00:00.000Z', requestedDeliveryDate: '2026-03-05' };

describe('chooseCarrier', () => {
  it('computes cost, eta and meetsRequestedDate', () => {
    const c = chooseCarrier([carrier({ code: 'SF', name: '顺丰速运', transitDays: 4 })], REQ);
    // 100 + 2.5 x 10.5 = 126.25
    expect(c).toEqual({
      code: 'SF',
      name: '顺丰速运',
      cost: '126.25',
      transitDays: 4,
      eta: '2026-03-05T08:00:00.000Z',
      meetsRequestedDate: true,
    });
  });
  it('rounds the cost half-up', () => {
    // 0 + 0.333 x 1.5 = 0.4995 -> 0.50
    const c = chooseCarrier([carrier({ code: 'X', rates: [{ region: '华东', baseFee: '0', perKg: '0.333' }] })], { ...REQ, weightKg: '1.5' });
    expect(c?.cost).toBe('0.50');
  });
  it('prefers the cheapest carrier that meets the date over a cheaper late one', () => {
    const c = chooseCarrier(
      [
        carrier({ code: 'SLOW', transitDays: 6, rates: [{ region: '华东', baseFee: '10', perKg: '0' }] }),
        carrier({ code: 'PRICEY', transitDays: 1, rates: [{ region: '华东', baseFee: '300', perKg: '0' }] }),
        carrier({ code: 'OK', transitDays: 4, rates: [{ region: '华东', baseFee: '200', perKg: '0' }] }),
      ],
      REQ,
    );
    expect(c?.code).toBe('OK');
    expect(c?.cost).toBe('200.00');
  });
  it('breaks a cost tie by reliability, then by code', () => {
    const flat = [{ region: '华东', baseFee: '100', perKg: '0' }];
    const a = carrier({ code: 'B', reliability: '0.99', rates: flat });
    const b = carrier({ code: 'A', reliability: '0.90', rates: flat });
    expect(chooseCarrier([b, a], REQ)?.code).toBe('B');
    const c = carrier({ code: 'C', reliability: '0.99', rates: flat });
    expect(chooseCarrier([c, a], REQ)?.code).toBe('B');
  });
  it('picks the fastest when none meets the date, cheapest on a tie', () => {
    const late = { ...REQ, requestedDeliveryDate: '2026-03-02' };
    const c = chooseCarrier(
      [
        carrier({ code: 'CHEAP5', transitDays: 5, rates: [{ region: '华东', baseFee: '1', perKg: '0' }] }),
        carrier({ code: 'FAST3A', transitDays: 3, rates: [{ region: '华东', baseFee: '90', perKg: '0' }] }),
        carrier({ code: 'FAST3B', transitDays: 3, rates: [{ region: '华东', baseFee: '80', perKg: '0' }] }),
      ],
      late,
    );
    expect(c).toMatchObject({ code: 'FAST3B', cost: '80.00', meetsRequestedDate: false, eta: '2026-03-04T08:00:00.000Z' });
  });
  it('compares calendar dates: arriving late on the requested day still meets it', () => {
    const c = chooseCarrier([carrier({ code: 'X', transitDays: 4 })], {
      ...REQ,
      shipDate: '2026-03-01T23:59:00.000Z',
      requestedDeliveryDate: '2026-03-05T00:00:00.000Z',
    });
    expect(c?.meetsRequestedDate).toBe(true);
    const d = chooseCarrier([carrier({ code: 'X', transitDays: 5 })], REQ);
    expect(d?.meetsRequestedDate).toBe(false);
  });
  it('returns null when no carrier serves the region', () => {
    expect(chooseCarrier([carrier({ code: 'A' })], { ...REQ, region: '西北' })).toBeNull();
    expect(chooseCarrier([], REQ)).toBeNull();
  });
  it('skips a carrier that serves the region but has no rate for it', () => {
    const noRate = carrier({ code: 'NORATE', rates: [{ region: 'North', baseFee: '1', perKg: '0' }] });
    expect(chooseCarrier([noRate], REQ)).toBeNull();
    const other = carrier({ code: 'Z', rates: [{ region: '华东', baseFee: '500', perKg: '0' }] });
    expect(chooseCarrier([noRate, other], REQ)?.code).toBe('Z');
  });
  it('skips a carrier with a rate but no service in the region', () => {
    const c = carrier({ code: 'A', serviceAreas: ['North'] });
    expect(chooseCarrier([c], REQ)).toBeNull();
  });
  it('matches regions ignoring case and surrounding spaces', () => {
    expect(chooseCarrier([carrier({ code: 'A' })], { ...REQ, region: ' north ' })?.cost).toBe('60.50');
  });
});

describe('calendarDate', () => {
  it('keeps date-only strings and takes the UTC date of timestamps', () => {
    expect(calendarDate('2026-03-05')).toBe('2026-03-05');
    expect(calendarDate('2026-03-05T23:00:00-02:00')).toBe('2026-03-06');
    expect(() => calendarDate('soon')).toThrow(/not an ISO date/);
  });
});
