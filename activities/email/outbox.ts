/**
 * The transactional outbox (SPEC 3a: "email never holds an order up").
 *
 * A step that causes a mail only writes its outbox row, rendered and
 * addressed, in the same database transaction as its other effects
 * (`enqueueMail(tx, message)`): the mail exists exactly when the step
 * committed, and no step waits for SMTP. The dispatcher (dispatcher.ts)
 * sends the rows later, outside any transaction.
 *
 * Exactly once per key: the row's key is unique (`ON CONFLICT (key) DO
 * NOTHING`, so a retried step queues nothing new) and the dispatcher moves
 * each row pending -> sending -> sent once. The Message-ID is derived from
 * the key, so the one unavoidable duplicate (a dispatcher killed after the
 * SMTP server accepted the message but before the row was marked sent)
 * carries the same Message-ID and is recognisable downstream.
 */
import { createHash } from 'node:crypto';
import type { Sql, PrismaRaw } from '../infra/sql';
import { asSql } from '../infra/sql';

export interface OutboxMessage {
  key: string;
  orderId?: string | null;
  /** An address, or a display name (Chinese is fine) with the address. */
  to: string | { name: string; address: string };
  template: string;
  subject: string;
  text: string;
  html?: string;
  /** The dispatcher group that sends it (ActivityDeps.mailQueue); 'default' when absent. */
  queue?: string;
  /** Ids of order_documents to attach (activities/documents/attachments.ts). */
  attachments?: string[];
}

export interface OutboxResult {
  /** The mail is in the outbox (queued now or by an earlier attempt); the dispatcher sends it. */
  sent: boolean;
  messageId: string;
}

export const MESSAGE_ID_DOMAIN = 'sales-orders.local';
export const DEFAULT_MAIL_QUEUE = 'default';
/** The LISTEN/NOTIFY channel a trigger on email_outbox notifies (payload: the row's queue). */
export const OUTBOX_CHANNEL = 'email_outbox';

/** `<` + first 32 hex chars of sha256(key) + `@sales-orders.local>`. */
export function messageIdFor(key: string): string {
  return `<${createHash('sha256').update(key, 'utf8').digest('hex').slice(0, 32)}@${MESSAGE_ID_DOMAIN}>`;
}

/**
 * Queues one mail inside the caller's transaction (plain SQL or a Prisma
 * interactive transaction); a key already queued is left as it is. The
 * insert fires the NOTIFY that wakes the dispatchers once the transaction
 * commits.
 */
export async function enqueueMail(tx: Sql | PrismaRaw, m: OutboxMessage): Promise<OutboxResult> {
  if (!m.key) throw new Error('an outbox message needs a key');
  const to = typeof m.to === 'string' ? { name: null, address: m.to } : m.to;
  const messageId = messageIdFor(m.key);
  await asSql(tx).execute(
    `INSERT INTO email_outbox (id, key, order_id, to_address, to_name, subject, body, html, template, message_id, queue, status, attachments)
     VALUES (gen_random_uuid()::text, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'pending', $11::jsonb)
     ON CONFLICT (key) DO NOTHING`,
    [
      m.key,
      m.orderId ?? null,
      to.address,
      to.name,
      m.subject,
      m.text,
      m.html ?? null,
      m.template,
      messageId,
      m.queue ?? DEFAULT_MAIL_QUEUE,
      m.attachments?.length ? JSON.stringify(m.attachments) : null,
    ],
  );
  return { sent: true, messageId };
}
