/**
 * The documents that go with a customer's email (SPEC section 11), and the
 * mail path's one hook into this folder:
 *
 *   documentsForEmail(db, { orderId, template }) -> document ids
 *     called where the outbox row is written; the ids are stored on the row
 *     (email_outbox.attachments), so a retry or a later dispatch sends the
 *     very versions the event produced, exactly once with that mail;
 *   attachmentsFor(sql, ids) -> nodemailer attachments
 *     called where the row is sent.
 */
import type { Attachment } from 'nodemailer/lib/mailer';
import type { PrismaClient } from '../../generated/prisma/client';
import { sqlOf } from '../infra/db';
import type { Sql } from '../infra/sql';
import { DEFAULT_COMPANY, type CompanyProfile } from './company';
import { NotReady, type DocumentKind } from './model';
import { ensureDocument, fileNameOf } from './store';

/** Which documents each customer email carries. */
export const EMAIL_DOCUMENTS: Readonly<Record<string, readonly DocumentKind[]>> = {
  order_confirmation: ['contract', 'confirmation'],
  shipping_notice: ['delivery_note'],
  invoice_issued: ['invoice'],
  // An approved change: the contract's (and invoice's) new version, once they exist.
  order_changed: ['contract', 'invoice'],
};

/** Kinds made only by their own event; a later email only re-versions them when they exist. */
const ONLY_IF_EXISTING: Readonly<Record<string, readonly DocumentKind[]>> = { order_changed: ['contract', 'invoice'] };

export async function documentsForEmail(
  db: { prisma: PrismaClient; company?: CompanyProfile },
  a: { orderId: string; template: string },
): Promise<string[]> {
  const kinds = EMAIL_DOCUMENTS[a.template] ?? [];
  if (kinds.length === 0) return [];
  const sql = sqlOf(db.prisma);
  const ids: string[] = [];
  for (const kind of kinds) {
    if (ONLY_IF_EXISTING[a.template]?.includes(kind)) {
      const [exists] = await sql.query(`SELECT 1 FROM order_documents WHERE order_id = $1 AND kind = $2 LIMIT 1`, [a.orderId, kind]);
      if (!exists) continue;
    }
    try {
      ids.push((await ensureDocument(sql, db.company ?? DEFAULT_COMPANY, a.orderId, kind)).id);
    } catch (err) {
      // The event a document records has not happened for this order (a mail
      // sent outside the workflow's order of stages): the mail goes without it.
      if (!(err instanceof NotReady)) throw err;
    }
  }
  return ids;
}

/** The stored PDFs of `ids`, in that order, as nodemailer attachments. */
export async function attachmentsFor(sql: Sql, ids: readonly string[] | null | undefined): Promise<Attachment[]> {
  if (!ids || ids.length === 0) return [];
  const rows = await sql.query<{ id: string; docNo: string; content: Buffer }>(
    `SELECT id, doc_no, content FROM order_documents WHERE id = ANY($1::text[])`,
    [ids],
  );
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.flatMap((id) => {
    const r = byId.get(id);
    return r ? [{ filename: fileNameOf(r), content: r.content, contentType: 'application/pdf' }] : [];
  });
}
