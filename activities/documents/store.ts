/**
 * Every version of every document, in PostgreSQL (order_documents): the PDF
 * bytes with their sha256, so a download is byte-identical to what was
 * mailed, and an older version stays downloadable after a change.
 *
 * `ensureDocument` is idempotent: when the order's data for the kind is
 * unchanged (same source hash) it returns the newest version; when it
 * changed it renders and stores the next version. Two callers racing for the
 * same new version land on one row (unique order_id, kind, version).
 */
import { createHash } from 'node:crypto';
import type { Sql } from '../infra/sql';
import type { CompanyProfile } from './company';
import { documentNo, loadDocumentData, sourceHashOf, type DocumentKind } from './model';
import { renderDocument } from './render';

export interface DocumentInfo {
  id: string;
  orderId: string;
  kind: DocumentKind;
  version: number;
  docNo: string;
  sha256: string;
  size: number;
  issuedAt: Date;
  createdAt: Date;
}

const COLUMNS = `id, order_id, kind, version, doc_no, sha256, size, issued_at, created_at`;

export const sha256Hex = (b: Buffer) => createHash('sha256').update(b).digest('hex');

export async function ensureDocument(sql: Sql, company: CompanyProfile, orderId: string, kind: DocumentKind): Promise<DocumentInfo> {
  const data = await loadDocumentData(sql, orderId, kind, company);
  const sourceHash = sourceHashOf(data);
  for (let attempt = 0; attempt < 3; attempt++) {
    const [latest] = await sql.query<DocumentInfo & { sourceHash: string }>(
      `SELECT ${COLUMNS}, source_hash FROM order_documents WHERE order_id = $1 AND kind = $2 ORDER BY version DESC LIMIT 1`,
      [orderId, kind],
    );
    if (latest && latest.sourceHash === sourceHash) {
      const { sourceHash: _, ...info } = latest;
      return info;
    }
    const version = (latest?.version ?? 0) + 1;
    const docNo = documentNo(kind, data.orderNo, version);
    const pdf = await renderDocument(data, { docNo, version });
    const inserted = await sql.execute(
      `INSERT INTO order_documents (id, order_id, kind, version, doc_no, source_hash, sha256, size, content, issued_at)
       VALUES (gen_random_uuid()::text, $1, $2, $3, $4, $5, $6, $7, $8, $9::timestamp(3))
       ON CONFLICT DO NOTHING`,
      [orderId, kind, version, docNo, sourceHash, sha256Hex(pdf), pdf.length, pdf, `${data.date}T00:00:00.000Z`],
    );
    if (inserted === 0) continue; // another caller stored this version first: look again
    const [row] = await sql.query<DocumentInfo>(`SELECT ${COLUMNS} FROM order_documents WHERE order_id = $1 AND kind = $2 AND version = $3`, [
      orderId,
      kind,
      version,
    ]);
    return row;
  }
  throw new Error(`document ${kind} of order ${orderId}: versions kept changing while storing`);
}

/** Every version of every document of an order, by kind then version. */
export async function listDocuments(sql: Sql, orderId: string): Promise<DocumentInfo[]> {
  return sql.query<DocumentInfo>(
    `SELECT ${COLUMNS} FROM order_documents WHERE order_id = $1
      ORDER BY array_position(ARRAY['contract','confirmation','delivery_note','invoice'], kind), version`,
    [orderId],
  );
}

/** One document with its bytes; null when it does not exist or belongs to another order. */
export async function documentContent(sql: Sql, orderId: string, id: string): Promise<(DocumentInfo & { content: Buffer }) | null> {
  const [row] = await sql.query<DocumentInfo & { content: Buffer }>(
    `SELECT ${COLUMNS}, content FROM order_documents WHERE order_id = $1 AND id = $2`,
    [orderId, id],
  );
  return row ?? null;
}

/** The file name a document is mailed and downloaded as: HT-2026-000123-V1.pdf. */
export const fileNameOf = (d: { docNo: string }) => `${d.docNo}.pdf`;
