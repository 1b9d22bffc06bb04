/**
 * What the shipping activities need from a carrier: book a shipment, cancel
 * a booking. The built-in adapter (builtin.ts) is the default; a real carrier
 * gets an adapter with the same interface.
 *
 * `book` must be idempotent by `key`: booking again with the same key returns
 * the same tracking number (the activity passes the order id).
 */
export interface CarrierBookingRequest {
  /** Idempotency key of the booking. */
  key: string;
  carrierCode: string;
  region: string;
  /** Decimal string. */
  weightKg: string;
  /** ISO date or timestamp. */
  shipDate: string;
  transitDays: number;
}

export interface CarrierBooking {
  trackingNo: string;
  /** ISO timestamp. */
  eta: string;
}

export interface CarrierAdapter {
  book(req: CarrierBookingRequest): Promise<CarrierBooking>;
  cancel(trackingNo: string): Promise<void>;
}
