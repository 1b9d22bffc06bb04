import { creditExposure } from '../../workflows/domain/credit';
import type { PricedLine } from '../../workflows/domain/pricing';
import { salesPrechecks, type PrecheckInput } from '../../workflows/domain/prechecks';

const okCredit = creditExposure({ creditLimit: '900000', openReceivables: '0', openOrders: '0', thisOrder: '1000', creditHold: false });
const line = (o: Partial<PricedLine> = {}): PricedLine => ({
  lineNo: 1,
  sku: 'SKU-A',
  quantity: 10,
  unitPrice: '20.00',
  listPrice: '20.00',
  standardCost: '10.00',
  ...o,
});
const input = (o: Partial<PrecheckInput> = {}): PrecheckInput => ({
  lines: [line()],
  requestedDeliveryDate: '2026-04-01',
  orderDate: '2026-03-01T02:00:00.000Z',
  contactName: '王小明',
  address: { region: '华东', city: '上海', line1: '浦东新区世纪大道100号' },
  credit: okCredit,
  priceDeviation: '0.2',
  ...o,
});

describe('salesPrechecks', () => {
  it('is empty when all is fine', () => {
    expect(salesPrechecks(input())).toEqual([]);
  });
  it('reports a missing contact name', () => {
    expect(salesPrechecks(input({ contactName: undefined }))).toEqual(['contact name is missing']);
    expect(salesPrechecks(input({ contactName: '   ' }))).toEqual(['contact name is missing']);
  });
  it('reports missing address parts in one line', () => {
    expect(salesPrechecks(input({ address: { region: '华东' } }))).toEqual(['delivery address is missing: city, street address']);
    expect(salesPrechecks(input({ address: { city: '上海', line1: 'x', region: '' } }))).toEqual(['delivery address is missing: region']);
  });
  it('reports a requested date before the order date, accepts the same day', () => {
    expect(salesPrechecks(input({ requestedDeliveryDate: '2026-02-28' }))).toEqual([
      'requested delivery date 2026-02-28 is before the order date 2026-03-01',
    ]);
    expect(salesPrechecks(input({ requestedDeliveryDate: '2026-03-01' }))).toEqual([]);
  });
  it('reports an invalid requested date', () => {
    expect(salesPrechecks(input({ requestedDeliveryDate: 'next week' }))).toEqual(['requested delivery date is missing or not a valid date']);
  });
  it('reports prices far from list, below and above', () => {
    const problems = salesPrechecks(
      input({
        lines: [
          line(),
          line({ lineNo: 2, sku: 'SKU-X', unitPrice: '12', listPrice: '20' }),
          line({ lineNo: 3, sku: 'SKU-Y', unitPrice: '25.00', listPrice: '20.00' }),
          line({ lineNo: 4, sku: 'SKU-Z', unitPrice: '16.00', listPrice: '20.00' }), // exactly 20%: not far
        ],
      }),
    );
    expect(problems).toEqual([
      'line 2 (SKU-X): unit price 12.00 is 40.0% below list 20.00',
      'line 3 (SKU-Y): unit price 25.00 is 25.0% above list 20.00',
    ]);
  });
  it('reports non-positive quantities and an order without lines', () => {
    expect(salesPrechecks(input({ lines: [line({ quantity: 0 })] }))).toEqual(['line 1 (SKU-A): quantity 0 must be positive']);
    expect(salesPrechecks(input({ lines: [] }))).toEqual(['the order has no lines']);
  });
  it('reports credit over limit and credit hold', () => {
    const over = creditExposure({ creditLimit: '900000', openReceivables: '800000', openOrders: '100000', thisOrder: '50000', creditHold: true });
    expect(salesPrechecks(input({ credit: over }))).toEqual([
      'credit exposure 950000.00 exceeds limit 900000.00',
      'customer is on credit hold',
    ]);
  });
  it('lists every problem in a stable order', () => {
    const over = creditExposure({ creditLimit: '10', openReceivables: '0', openOrders: '0', thisOrder: '11', creditHold: false });
    expect(
      salesPrechecks(input({ contactName: '', address: {}, requestedDeliveryDate: '2026-01-01', lines: [line({ unitPrice: '1' })], credit: over })),
    ).toEqual([
      'contact name is missing',
      'delivery address is missing: region, city, street address',
      'requested delivery date 2026-01-01 is before the order date 2026-03-01',
      'line 1 (SKU-A): unit price 1.00 is 95.0% below list 20.00',
      'credit exposure 11.00 exceeds limit 10.00',
    ]);
  });
});
