/**
 * What a document shows, read from the order's rows (SPEC section 11). The
 * model is plain data: rendering it (render.ts) is a pure function of it,
 * and its hash (sourceHash) is the identity of a version: the same data is
 * the same version, changed data (an approved change, a new invoice amount,
 * a new company profile) is a new one.
 *
 * Every date printed comes from the order's data (the confirmation's
 * transition, the last applied change, the dispatch, the invoice), never from
 * the clock, so rendering the same version again gives the same bytes.
 */
import { createHash } from 'node:crypto';
import type { Sql } from '../infra/sql';
import { lineTotals } from '../../workflows/domain/money';
import type { CompanyProfile } from './company';

export const DOCUMENT_KINDS = ['contract', 'confirmation', 'delivery_note', 'invoice'] as const;
export type DocumentKind = (typeof DOCUMENT_KINDS)[number];

/** The letters in a document's number: 合同 HT, 确认 QR, 发货 FH, 发票 FP. */
export const KIND_CODE: Record<DocumentKind, string> = { contract: 'HT', confirmation: 'QR', delivery_note: 'FH', invoice: 'FP' };

export const KIND_TITLE: Record<DocumentKind, { zh: string; en: string }> = {
  contract: { zh: '销售合同', en: 'Sales Contract' },
  confirmation: { zh: '订单确认书', en: 'Order Confirmation' },
  delivery_note: { zh: '发货单', en: 'Delivery Note' },
  invoice: { zh: '商业发票', en: 'Commercial Invoice' },
};

/** HT-2026-000123-V2 for the second contract version of SO-2026-000123. */
export function documentNo(kind: DocumentKind, orderNo: string, version: number): string {
  return `${KIND_CODE[kind]}-${orderNo.replace(/^SO-/, '')}-V${version}`;
}

export interface DocumentLine {
  lineNo: number;
  sku: string;
  name: string;
  specification: string | null;
  quantity: number;
  unitPrice: string;
  taxRate: string;
  net: string;
  tax: string;
  gross: string;
}

export interface DocumentData {
  kind: DocumentKind;
  orderNo: string;
  /** YYYY-MM-DD printed as the document's date. */
  date: string;
  company: CompanyProfile;
  customer: { code: string; name: string; contactName: string; contactPhone: string | null; contactEmail: string | null; email: string };
  orderDate: string;
  requestedDeliveryDate: string;
  deliveryAddress: { recipient: string; phone: string; region: string; city: string; line1: string; postcode?: string };
  paymentTerms: string;
  currency: string;
  lines: DocumentLine[];
  subtotal: string;
  tax: string;
  total: string;
  notes: string | null;
  shipment?: { carrierName: string; trackingNo: string; eta: string; shipDate: string; weightKg: string };
  invoice?: { invoiceNo: string; issuedAt: string; dueDate: string; amount: string };
}

/** The data's identity: sha256 of its canonical JSON (keys in a fixed order). */
export function sourceHashOf(data: DocumentData): string {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canonical)
      : v && typeof v === 'object'
        ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])]))
        : v;
  return createHash('sha256').update(JSON.stringify(canonical(data)), 'utf8').digest('hex');
}

const day = (d: Date | null | undefined) => (d ? d.toISOString().slice(0, 10) : '');

/** Why a document cannot be made yet (e.g. a delivery note before dispatch). */
export class NotReady extends Error {}

interface OrderRow {
  id: string;
  orderNo: string;
  orderDate: Date;
  requestedDeliveryDate: Date;
  deliveryAddress: DocumentData['deliveryAddress'];
  paymentTerms: string;
  currency: string;
  subtotal: { toFixed(n: number): string };
  taxAmount: { toFixed(n: number): string };
  totalAmount: { toFixed(n: number): string };
  notes: string | null;
  contactName: string;
  contactPhone: string | null;
  contactEmail: string | null;
  customerCode: string;
  customerName: string;
  customerEmail: string;
  createdAt: Date;
}

/** The data of `kind` for the order as it is now; throws NotReady when the event it records has not happened. */
export async function loadDocumentData(sql: Sql, orderId: string, kind: DocumentKind, company: CompanyProfile): Promise<DocumentData> {
  const [o] = await sql.query<OrderRow>(
    `SELECT o.id, o.order_no, o.order_date, o.requested_delivery_date, o.delivery_address, o.payment_terms, o.currency,
            o.subtotal, o.tax_amount, o.total_amount, o.notes, o.contact_name, o.contact_phone, o.contact_email, o.created_at,
            c.code AS customer_code, c.name AS customer_name, c.email AS customer_email
       FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.id = $1`,
    [orderId],
  );
  if (!o) throw new NotReady(`order ${orderId} not found`);
  const lines = await sql.query<{
    lineNo: number;
    sku: string;
    name: string;
    specification: string | null;
    quantity: number;
    unitPrice: { toFixed(n: number): string };
    taxRate: { toFixed(n: number): string };
  }>(
    `SELECT l.line_no, p.sku, p.name, l.specification, l.quantity, l.unit_price, l.tax_rate
       FROM order_lines l JOIN products p ON p.id = l.product_id WHERE l.order_id = $1 ORDER BY l.line_no`,
    [orderId],
  );

  const data: DocumentData = {
    kind,
    orderNo: o.orderNo,
    date: '',
    company,
    customer: {
      code: o.customerCode,
      name: o.customerName,
      contactName: o.contactName,
      contactPhone: o.contactPhone,
      contactEmail: o.contactEmail,
      email: o.customerEmail,
    },
    orderDate: day(o.orderDate),
    requestedDeliveryDate: day(o.requestedDeliveryDate),
    deliveryAddress: o.deliveryAddress,
    paymentTerms: o.paymentTerms,
    currency: o.currency,
    lines: lines.map((l) => {
      const unitPrice = l.unitPrice.toFixed(2);
      const taxRate = l.taxRate.toFixed(4);
      return { lineNo: l.lineNo, sku: l.sku, name: l.name, specification: l.specification, quantity: l.quantity, unitPrice, taxRate, ...lineTotals({ quantity: l.quantity, unitPrice, taxRate }) };
    }),
    subtotal: o.subtotal.toFixed(2),
    tax: o.taxAmount.toFixed(2),
    total: o.totalAmount.toFixed(2),
    notes: o.notes,
  };

  // The moment the order was confirmed: the first transition into confirmation.
  const confirmedAt = async () => {
    const [t] = await sql.query<{ at: Date | null }>(
      `SELECT min(at) AS at FROM stage_transitions WHERE order_id = $1 AND to_stage = 'confirmation'`,
      [orderId],
    );
    if (!t?.at) throw new NotReady(`order ${o.orderNo} is not confirmed yet`);
    return t.at;
  };

  switch (kind) {
    case 'contract': {
      // A version's date: confirmation, or the last approved change applied after it.
      const confirmed = await confirmedAt();
      const [c] = await sql.query<{ at: Date | null }>(
        `SELECT max(applied_at) AS at FROM change_requests WHERE order_id = $1 AND status = 'applied'`,
        [orderId],
      );
      data.date = day(c?.at && c.at > confirmed ? c.at : confirmed);
      return data;
    }
    case 'confirmation':
      data.date = day(await confirmedAt());
      return data;
    case 'delivery_note': {
      const [s] = await sql.query<{ carrierName: string; trackingNo: string; eta: Date; dispatchedAt: Date | null; weightKg: { toFixed(n: number): string } }>(
        `SELECT c.name AS carrier_name, s.tracking_no, s.eta, s.dispatched_at, s.weight_kg
           FROM shipments s JOIN carriers c ON c.id = s.carrier_id WHERE s.order_id = $1 AND s.status <> 'cancelled'`,
        [orderId],
      );
      if (!s?.dispatchedAt) throw new NotReady(`order ${o.orderNo} has not been dispatched`);
      data.date = day(s.dispatchedAt);
      data.shipment = { carrierName: s.carrierName, trackingNo: s.trackingNo, eta: day(s.eta), shipDate: day(s.dispatchedAt), weightKg: s.weightKg.toFixed(3) };
      return data;
    }
    case 'invoice': {
      const [i] = await sql.query<{ invoiceNo: string; issuedAt: Date; dueDate: Date; amount: { toFixed(n: number): string } }>(
        `SELECT invoice_no, issued_at, due_date, amount FROM invoices WHERE order_id = $1 AND status <> 'void'`,
        [orderId],
      );
      if (!i) throw new NotReady(`order ${o.orderNo} has no invoice`);
      data.date = day(i.issuedAt);
      data.invoice = { invoiceNo: i.invoiceNo, issuedAt: day(i.issuedAt), dueDate: day(i.dueDate), amount: i.amount.toFixed(2) };
      return data;
    }
  }
}
