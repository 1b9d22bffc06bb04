/**
 * The contract signature step (SPEC 4.1.5 and 4.5.2): sales records that the
 * customer signed the newest contract version (date, signer, a scan of the
 * signed copy), finance confirms its financial terms. One row per contract
 * version (contract_signatures, unique document_id), so a new version after
 * an approved change needs signing again.
 *
 * The scan is size- and type-limited: PDF, PNG or JPEG, recognised by its
 * first bytes (not by its name or a claimed type), at most MAX_SCAN_BYTES,
 * stored in PostgreSQL with its sha256.
 */
import { createHash } from 'node:crypto';
import type { Sql, SqlDb } from '../infra/sql';

export const MAX_SCAN_BYTES = 5 * 1024 * 1024;

/** A refusal the caller can act on: the HTTP status it maps to and the field at fault. */
export class SignatureInputError extends Error {
  constructor(
    readonly status: 400 | 404 | 409 | 413,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'SignatureInputError';
  }
}

const MAGIC: { type: string; bytes: number[] }[] = [
  { type: 'application/pdf', bytes: [0x25, 0x50, 0x44, 0x46, 0x2d] }, // %PDF-
  { type: 'image/png', bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] },
  { type: 'image/jpeg', bytes: [0xff, 0xd8, 0xff] },
];

/** The scan's type from its first bytes; null when it is none of PDF, PNG, JPEG. */
export function scanTypeOf(bytes: Buffer): string | null {
  return MAGIC.find((m) => bytes.length >= m.bytes.length && m.bytes.every((b, i) => bytes[i] === b))?.type ?? null;
}

export interface ContractStatus {
  /** The newest contract version, null before confirmation. */
  contract: { documentId: string; version: number; docNo: string } | null;
  signature: {
    signedOn: string;
    signer: string;
    scanName: string;
    scanType: string;
    scanSize: number;
    scanSha256: string;
    recordedBy: string;
    recordedAt: string;
    financeConfirmedBy: string | null;
    financeConfirmedAt: string | null;
    financeComment: string | null;
  } | null;
  signed: boolean;
  financeConfirmed: boolean;
  /** Both: the step is done for the newest version. */
  complete: boolean;
}

interface SignatureRow {
  id: string;
  signedOn: Date;
  signer: string;
  scanName: string;
  scanType: string;
  scanSize: number;
  scanSha256: string;
  recordedBy: string;
  recordedAt: Date;
  financeConfirmedBy: string | null;
  financeConfirmedAt: Date | null;
  financeComment: string | null;
}

async function newestContract(sql: Sql, orderId: string) {
  const [c] = await sql.query<{ id: string; version: number; docNo: string }>(
    `SELECT id, version, doc_no FROM order_documents WHERE order_id = $1 AND kind = 'contract' ORDER BY version DESC LIMIT 1`,
    [orderId],
  );
  return c ?? null;
}

export async function contractStatus(sql: Sql, orderId: string): Promise<ContractStatus> {
  const c = await newestContract(sql, orderId);
  if (!c) return { contract: null, signature: null, signed: false, financeConfirmed: false, complete: false };
  const [s] = await sql.query<SignatureRow>(
    `SELECT id, signed_on, signer, scan_name, scan_type, scan_size, scan_sha256, recorded_by, recorded_at,
            finance_confirmed_by, finance_confirmed_at, finance_comment
       FROM contract_signatures WHERE document_id = $1`,
    [c.id],
  );
  const signature = s
    ? {
        signedOn: s.signedOn.toISOString().slice(0, 10),
        signer: s.signer,
        scanName: s.scanName,
        scanType: s.scanType,
        scanSize: s.scanSize,
        scanSha256: s.scanSha256,
        recordedBy: s.recordedBy,
        recordedAt: s.recordedAt.toISOString(),
        financeConfirmedBy: s.financeConfirmedBy,
        financeConfirmedAt: s.financeConfirmedAt?.toISOString() ?? null,
        financeComment: s.financeComment,
      }
    : null;
  const signed = signature !== null;
  const financeConfirmed = signature?.financeConfirmedAt != null;
  return { contract: { documentId: c.id, version: c.version, docNo: c.docNo }, signature, signed, financeConfirmed, complete: signed && financeConfirmed };
}

export async function recordContractSignature(
  db: SqlDb,
  a: { orderId: string; signedOn: string; signer: string; scanName: string; scan: Buffer; actor: string; at: string },
): Promise<ContractStatus> {
  if (a.scan.length === 0) throw new SignatureInputError(400, 'the scan is empty', 'scan.contentBase64');
  if (a.scan.length > MAX_SCAN_BYTES)
    throw new SignatureInputError(413, `the scan is ${a.scan.length} bytes; at most ${MAX_SCAN_BYTES} (5 MiB)`, 'scan.contentBase64');
  const scanType = scanTypeOf(a.scan);
  if (!scanType) throw new SignatureInputError(400, 'the scan must be a PDF, PNG or JPEG file (its content is none of them)', 'scan.contentBase64');
  return db.transaction(async (tx) => {
    const c = await newestContract(tx, a.orderId);
    if (!c) throw new SignatureInputError(409, 'the order has no contract yet (it is made when the order is confirmed)');
    const inserted = await tx.execute(
      `INSERT INTO contract_signatures (id, order_id, document_id, signed_on, signer, scan_type, scan_name, scan_size, scan_sha256, scan, recorded_by, recorded_at)
       VALUES (gen_random_uuid()::text, $1, $2, $3::date, $4, $5, $6, $7, $8, $9, $10, $11::timestamp(3))
       ON CONFLICT (document_id) DO NOTHING`,
      [a.orderId, c.id, a.signedOn, a.signer, scanType, a.scanName, a.scan.length, createHash('sha256').update(a.scan).digest('hex'), a.scan, a.actor, a.at],
    );
    if (inserted === 0) throw new SignatureInputError(409, `the signature of contract ${c.docNo} is already recorded`);
    return contractStatus(tx, a.orderId);
  });
}

export async function confirmContractTerms(db: SqlDb, a: { orderId: string; comment?: string; actor: string; at: string }): Promise<ContractStatus> {
  return db.transaction(async (tx) => {
    const c = await newestContract(tx, a.orderId);
    if (!c) throw new SignatureInputError(409, 'the order has no contract yet (it is made when the order is confirmed)');
    const updated = await tx.execute(
      `UPDATE contract_signatures SET finance_confirmed_by = $2, finance_confirmed_at = $3::timestamp(3), finance_comment = $4
        WHERE document_id = $1 AND finance_confirmed_at IS NULL`,
      [c.id, a.actor, a.at, a.comment ?? null],
    );
    if (updated === 0) {
      const [s] = await tx.query(`SELECT 1 FROM contract_signatures WHERE document_id = $1`, [c.id]);
      throw new SignatureInputError(
        409,
        s ? `the financial terms of contract ${c.docNo} are already confirmed` : `the customer's signature of contract ${c.docNo} is not recorded yet`,
      );
    }
    return contractStatus(tx, a.orderId);
  });
}

/** The scan of the newest contract version's signature, null when there is none. */
export async function signatureScan(sql: Sql, orderId: string): Promise<{ scan: Buffer; scanType: string; scanName: string; scanSha256: string } | null> {
  const c = await newestContract(sql, orderId);
  if (!c) return null;
  const [s] = await sql.query<{ scan: Buffer; scanType: string; scanName: string; scanSha256: string }>(
    `SELECT scan, scan_type, scan_name, scan_sha256 FROM contract_signatures WHERE document_id = $1`,
    [c.id],
  );
  return s ?? null;
}
