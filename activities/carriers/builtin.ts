/**
 * The built-in carrier adapter (SPEC 8: "built-in carrier adapter with rate
 * tables and generated tracking numbers"). Rates live in the carriers tables;
 * this adapter only issues the waybill.
 *
 * The tracking number is the carrier code followed by 10 digits derived from
 * sha256(key), so booking again with the same key gives the same number; the
 * ETA is the ship date plus the carrier's transit days. Cancelling records
 * nothing here: the shipment row's status says it is cancelled.
 */
import { createHash } from 'node:crypto';
import { addDays } from '../../workflows/domain/carriers';
import type { CarrierAdapter, CarrierBooking, CarrierBookingRequest } from './adapter';

/** `${carrierCode}${10 digits of sha256(key)}`. */
export function trackingNumber(carrierCode: string, key: string): string {
  const hex = createHash('sha256').update(key, 'utf8').digest('hex');
  const digits = (BigInt(`0x${hex.slice(0, 16)}`) % 10_000_000_000n).toString().padStart(10, '0');
  return `${carrierCode}${digits}`;
}

export const builtinCarrierAdapter: CarrierAdapter = {
  async book(req: CarrierBookingRequest): Promise<CarrierBooking> {
    if (!req.key) throw new Error('carrier booking needs a key');
    return { trackingNo: trackingNumber(req.carrierCode, req.key), eta: addDays(req.shipDate, req.transitDays) };
  },
  async cancel(): Promise<void> {
    // Nothing to tell a built-in carrier.
  },
};
