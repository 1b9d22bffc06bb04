/**
 * Exactly-once email (SPEC 3.9: "each reminder is an email, sent exactly once
 * even if the worker crashes and retries").
 *
 * 1. The outbox row (unique key, status pending) is written before anything
 *    is sent.
 * 2. The row is locked for the send, so two attempts of one key never send
 *    side by side; a row already 'sent' is not sent again.
 * 3. The Message-ID is derived from the key, so the one unavoidable duplicate
 *    (a crash after the SMTP server accepted the message but before the row
 *    was marked sent) carries the same Message-ID and is recognisable as the
 *    same message downstream.
 * 4. An SMTP failure is recorded on the row (attempts, lastError) and thrown,
 *    so Temporal retries the activity.
 */
import { createHash } from 'node:crypto';
import type { Transporter } from 'nodemailer';
import type { PrismaClient } from '../../generated/prisma/client';
import { sqlOf } from '../infra/db';
import { attachmentsFor } from '../documents/attachments';

export interface OutboxDeps {
  prisma: PrismaClient;
  mailer: Transporter;
  mailFrom: string;
}

export interface OutboxMessage {
  key: string;
  orderId?: string | null;
  /** An address, or a display name (Chinese is fine) with the address. */
  to: string | { name: string; address: string };
  template: string;
  subject: string;
  text: string;
  html?: string;
  /** Ids of order_documents to attach (activities/documents/attachments.ts). */
  attachments?: string[];
}

export interface OutboxResult {
  /** false when an earlier attempt already sent it. */
  sent: boolean;
  messageId: string;
}

export const MESSAGE_ID_DOMAIN = 'sales-orders.local';

/** `<` + first 32 hex chars of sha256(key) + `@sales-orders.local>`. */
export function messageIdFor(key: string): string {
  return `<${createHash('sha256').update(key, 'utf8').digest('hex').slice(0, 32)}@${MESSAGE_ID_DOMAIN}>`;
}

const addressOf = (to: OutboxMessage['to']): string => (typeof to === 'string' ? to : to.address);

export async function sendOnce(deps: OutboxDeps, m: OutboxMessage): Promise<OutboxResult> {
  if (!m.key) throw new Error('an outbox message needs a key');
  const { mailer, mailFrom } = deps;
  const sql = sqlOf(deps.prisma);

  await sql.execute(
    `INSERT INTO email_outbox (id, key, order_id, to_address, subject, body, template, message_id, status, attachments)
     VALUES (gen_random_uuid()::text, $1, $2, $3, $4, $5, $6, $7, 'pending', $8::jsonb)
     ON CONFLICT (key) DO NOTHING`,
    [
      m.key,
      m.orderId ?? null,
      addressOf(m.to),
      m.subject,
      m.text,
      m.template,
      messageIdFor(m.key),
      m.attachments?.length ? JSON.stringify(m.attachments) : null,
    ],
  );

  let smtpError: unknown;
  try {
    return await sql.transaction(async (tx) => {
      const [row] = await tx.query<{ status: string; messageId: string; attachments: string[] | null }>(
        `SELECT status, message_id, attachments FROM email_outbox WHERE key = $1 FOR UPDATE`,
        [m.key],
      );
      if (!row) throw new Error(`outbox row ${m.key} vanished`);
      if (row.status === 'sent') return { sent: false, messageId: row.messageId };
      try {
        await mailer.sendMail({
          from: mailFrom,
          to: m.to,
          subject: m.subject,
          text: m.text,
          html: m.html,
          messageId: row.messageId,
          // The documents stored on the row when it was written (the first attempt's versions).
          attachments: await attachmentsFor(tx, row.attachments),
        });
      } catch (err) {
        smtpError = err;
        throw err;
      }
      await tx.execute(
        `UPDATE email_outbox SET status = 'sent', sent_at = $2::timestamp(3), attempts = attempts + 1, last_error = NULL WHERE key = $1`,
        [m.key, new Date().toISOString()],
      );
      return { sent: true, messageId: row.messageId };
    });
  } catch (err) {
    if (smtpError !== undefined) {
      await sql
        .execute(`UPDATE email_outbox SET attempts = attempts + 1, last_error = $2 WHERE key = $1`, [
          m.key,
          String((smtpError as Error)?.message ?? smtpError).slice(0, 1000),
        ])
        .catch(() => undefined);
    }
    throw err;
  }
}
