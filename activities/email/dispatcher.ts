/**
 * The outbox dispatcher: sends the mails activities queued (outbox.ts), in
 * the worker process or on its own (`npm run mail:dispatch`); any number may
 * run against one database.
 *
 * Per row: a claim (one short statement: pending and due, or 'sending' with
 * its lease run out -> 'sending', attempts + 1, lease; `FOR UPDATE SKIP
 * LOCKED`, so two dispatchers never claim one row), the SMTP send outside any
 * transaction, then one statement for the outcome:
 * - accepted: 'sent' (`WHERE status = 'sending'`);
 * - refused for good (a 5xx to the envelope or the message): 'failed' and
 *   an alert for the responsible role, in one transaction;
 * - anything else (server down, 4xx, timeout): back to 'pending', due again
 *   after a bounded exponential backoff; after MAIL_MAX_ATTEMPTS, 'failed'.
 *
 * The only duplicate: a dispatcher that dies after the SMTP server accepted
 * a mail and before the 'sent' statement leaves the row 'sending'; when the
 * lease runs out it is sent again, with the same Message-ID.
 *
 * Wake-up: a trigger NOTIFYs on every insert (payload: the queue), so a new
 * mail goes out at once; a poll every MAIL_POLL_INTERVAL catches retries due
 * and anything a lost LISTEN connection missed.
 */
import { Client } from 'pg';
import type { Transporter } from 'nodemailer';
import type { PrismaClient } from '../../generated/prisma/client';
import type { MailDispatchConfig } from '../infra/config';
import { sqlOf } from '../infra/db';
import type { Sql } from '../infra/sql';
import { enqueueRoleMail } from './notify';
import { OUTBOX_CHANNEL } from './outbox';
import { attachmentsFor } from '../documents/attachments';
import { staffMessage } from './templates';

export interface DispatcherDeps {
  prisma: PrismaClient;
  /** For the LISTEN connection (a pooled connection cannot wait for notifications); without it the dispatcher only polls. */
  databaseUrl?: string;
  mailer: Transporter;
  /** From header, e.g. `"Sales Orders <orders@example.com>"`. */
  mailFrom: string;
  /** PUBLIC_URL: the alert mail about an undeliverable customer mail links to the order's console page. */
  publicUrl?: string;
  log?: (line: string) => void;
}

export type DispatcherOptions = Omit<MailDispatchConfig, 'dispatchInWorker'>;

export interface DispatcherStats {
  /** Rows claimed, of which `reclaimed` were 'sending' past their lease (a sender died mid-send). */
  claimed: number;
  reclaimed: number;
  sent: number;
  /** Transient failures put back for a later attempt. */
  retried: number;
  failed: number;
}

export interface MailDispatcher {
  readonly stats: DispatcherStats;
  /** Stops claiming, lets the sends in flight finish and record their outcome, closes the LISTEN connection. */
  stop(): Promise<void>;
}

interface ClaimedRow {
  id: string;
  key: string;
  orderId: string | null;
  toAddress: string;
  toName: string | null;
  subject: string;
  body: string;
  html: string | null;
  template: string;
  messageId: string;
  attempts: number;
  /** Ids of the stored documents to attach (null: none). */
  attachments: string[] | null;
  /** The status before the claim: 'sending' when a dead sender's lease ran out. */
  was: string;
}

/** Whether an SMTP error is a permanent refusal of this mail (not of the connection or the credentials). */
export function isPermanentRefusal(err: unknown): boolean {
  const e = err as { responseCode?: unknown; command?: unknown };
  if (typeof e?.responseCode !== 'number' || e.responseCode < 500 || e.responseCode > 599) return false;
  // A 5xx to the greeting, EHLO or AUTH is about the server or our account, not this mail: keep retrying (and alert by attempts).
  return !/^(CONN|EHLO|HELO|AUTH|STARTTLS)/i.test(String(e.command ?? ''));
}

/** The delay before attempt `attempts + 1`: min * 2^(attempts-1), at most max, with ±20 % jitter so dispatchers spread out. */
export function backoffMs(attempts: number, minMs: number, maxMs: number, random: () => number = Math.random): number {
  const base = Math.min(maxMs, minMs * 2 ** Math.max(0, Math.min(attempts - 1, 30)));
  return Math.round(Math.min(maxMs, base * (0.8 + 0.4 * random())));
}

const errorText = (err: unknown) => {
  const e = err as { message?: unknown; response?: unknown };
  return String(e?.response ?? e?.message ?? err).slice(0, 1000);
};

/** The role told when a mail fails for good: sales for customer mail, admin for staff mail. */
const ownerOf = (template: string) => (template.startsWith('staff:') ? 'admin' : 'sales');

export function startMailDispatcher(deps: DispatcherDeps, opts: DispatcherOptions): MailDispatcher {
  const sql = sqlOf(deps.prisma);
  const log = deps.log ?? ((line: string) => console.log(`[mail] ${line}`));
  const stats: DispatcherStats = { claimed: 0, reclaimed: 0, sent: 0, retried: 0, failed: 0 };
  const inFlight = new Set<Promise<void>>();
  let stopping = false;

  // Wake-up: a NOTIFY, a finished send, stop(), or the poll timer, whichever first.
  let wakePending = false;
  let wakeSleeper: (() => void) | undefined;
  const wake = () => {
    wakePending = true;
    wakeSleeper?.();
  };
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (wakePending) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wakeSleeper = undefined;
        resolve();
      }
      wakeSleeper = done;
    });

  const listener = deps.databaseUrl ? listen(deps.databaseUrl, opts.queue, opts.pollMs, wake, log, () => stopping) : undefined;

  async function claim(n: number): Promise<ClaimedRow[]> {
    return sql.query<ClaimedRow>(
      `WITH due AS (
         SELECT id, status FROM email_outbox
          WHERE queue = $1
            AND ((status = 'pending' AND next_attempt_at <= now()) OR (status = 'sending' AND lease_until < now()))
          ORDER BY next_attempt_at
          LIMIT $2
          FOR UPDATE SKIP LOCKED)
       UPDATE email_outbox e
          SET status = 'sending', lease_until = now() + $3 * interval '1 millisecond', attempts = e.attempts + 1
         FROM due WHERE e.id = due.id
       RETURNING e.id, e.key, e.order_id, e.to_address, e.to_name, e.subject, e.body, e.html, e.template, e.message_id, e.attempts, e.attachments, due.status AS was`,
      [opts.queue, n, opts.leaseMs],
    );
  }

  /** One statement, retried briefly: until it lands, the row is 'sending' and would be sent again after its lease. */
  async function markSent(row: ClaimedRow): Promise<void> {
    for (let i = 0; ; i++) {
      try {
        await sql.execute(
          `UPDATE email_outbox SET status = 'sent', sent_at = now() AT TIME ZONE 'UTC', lease_until = NULL, last_error = NULL
            WHERE id = $1 AND status = 'sending'`,
          [row.id],
        );
        return;
      } catch (err) {
        if (i >= 4) throw err;
        await new Promise((r) => setTimeout(r, 200 * 2 ** i));
      }
    }
  }

  async function retryLater(row: ClaimedRow, err: unknown): Promise<void> {
    const delay = backoffMs(row.attempts, opts.retryMinMs, opts.retryMaxMs);
    await sql.execute(
      `UPDATE email_outbox SET status = 'pending', lease_until = NULL, last_error = $2, next_attempt_at = now() + $3 * interval '1 millisecond'
        WHERE id = $1 AND status = 'sending'`,
      [row.id, errorText(err), delay],
    );
    stats.retried += 1;
    log(`${row.key} to ${row.toAddress}: attempt ${row.attempts} failed (${errorText(err)}), next in ${Math.round(delay / 1000)} s`);
  }

  /** 'failed' plus one alert per row (with the order) for the role that must act; a customer mail's failure also mails sales. */
  async function fail(row: ClaimedRow, reason: string): Promise<void> {
    await sql.transaction(async (tx) => {
      const changed = await tx.execute(
        `UPDATE email_outbox SET status = 'failed', lease_until = NULL, last_error = $2 WHERE id = $1 AND status = 'sending'`,
        [row.id, reason],
      );
      if (changed === 0 || !row.orderId) return;
      await raiseMailAlert(tx, row, reason, opts.queue, deps.publicUrl);
    });
    stats.failed += 1;
    log(`${row.key} to ${row.toAddress}: failed for good (${reason})${row.orderId ? '; alerted' : '; no order to alert on'}`);
  }

  async function send(row: ClaimedRow): Promise<void> {
    if (row.was === 'sending') {
      stats.reclaimed += 1;
      log(`${row.key}: its sender died mid-send; sending again (Message-ID ${row.messageId}, may arrive twice)`);
    }
    try {
      await deps.mailer.sendMail({
        from: deps.mailFrom,
        to: row.toName ? { name: row.toName, address: row.toAddress } : row.toAddress,
        subject: row.subject,
        text: row.body,
        html: row.html ?? undefined,
        messageId: row.messageId,
        // The document versions stored on the row when it was queued (the event's versions).
        attachments: await attachmentsFor(sql, row.attachments),
      });
    } catch (err) {
      if (isPermanentRefusal(err)) return fail(row, errorText(err));
      if (row.attempts >= opts.maxAttempts) return fail(row, `gave up after ${row.attempts} attempts: ${errorText(err)}`);
      return retryLater(row, err);
    }
    await markSent(row);
    stats.sent += 1;
  }

  const track = (p: Promise<void>) => {
    const tracked: Promise<void> = p
      .catch((err) => log(`outcome not recorded (${errorText(err)}); the row is sent again when its lease runs out`))
      .finally(() => {
        inFlight.delete(tracked);
        wake();
      });
    inFlight.add(tracked);
  };

  const loop = (async () => {
    while (!stopping) {
      wakePending = false;
      const free = opts.concurrency - inFlight.size;
      let claimed = 0;
      if (free > 0) {
        try {
          const rows = await claim(free);
          claimed = rows.length;
          stats.claimed += rows.length;
          // stop() while claiming: the rows are ours now; send them (stop waits) rather than leave them to the lease.
          for (const row of rows) track(send(row));
        } catch (err) {
          log(`claim failed (${errorText(err)}); retrying`);
        }
      }
      // A full batch: more may be due at once; otherwise wait for a wake-up or the poll.
      if (free > 0 && claimed === free) continue;
      await sleep(opts.pollMs);
    }
  })();

  return {
    stats,
    async stop() {
      stopping = true;
      wake();
      await loop;
      while (inFlight.size) await Promise.all([...inFlight]);
      await listener?.close();
    },
  };
}

async function raiseMailAlert(tx: Sql, row: ClaimedRow, reason: string, queue: string, publicUrl?: string): Promise<void> {
  const role = ownerOf(row.template);
  const key = `mail-failed:${row.key}`;
  const message = `Email "${row.subject}" to ${row.toName ? `${row.toName} <${row.toAddress}>` : row.toAddress} could not be delivered: ${reason}`;
  const inserted = await tx.execute(
    `INSERT INTO alerts (id, key, order_id, kind, role, message) VALUES (gen_random_uuid()::text, $1, $2, 'mail_failed', $3, $4)
     ON CONFLICT (key) DO NOTHING`,
    [key, row.orderId, role, message],
  );
  // Staff mail failing is not mailed about (that could fail the same way, for ever); customer mail is.
  if (inserted === 0 || role !== 'sales') return;
  const [order] = await tx.query<{ orderNo: string; stage: string }>(`SELECT order_no, stage FROM orders WHERE id = $1`, [row.orderId]);
  if (!order) return;
  const mail = staffMessage('alert', {
    orderNo: order.orderNo,
    stage: order.stage,
    detail: `${message}\nCheck the customer's address and tell the customer another way.`,
  });
  await enqueueRoleMail(tx, { key, orderId: row.orderId!, role, ...mail }, queue, publicUrl);
}

/** The LISTEN connection: reconnects after an error; every NOTIFY for our queue wakes the dispatcher. */
function listen(databaseUrl: string, queue: string, retryMs: number, wake: () => void, log: (line: string) => void, stopped: () => boolean) {
  let client: Client | undefined;
  let timer: NodeJS.Timeout | undefined;
  const connect = async () => {
    if (stopped()) return;
    const c = new Client({ connectionString: databaseUrl });
    c.on('notification', (n) => {
      if (n.channel === OUTBOX_CHANNEL && n.payload === queue) wake();
    });
    c.on('error', (err) => {
      log(`LISTEN connection lost (${err.message}); polling until it is back`);
      if (client === c) client = undefined;
      c.end().catch(() => undefined);
      timer = setTimeout(() => void connect(), Math.max(retryMs, 1000));
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${OUTBOX_CHANNEL}`);
      client = c;
      if (stopped()) await close();
      else wake(); // anything queued while we were not listening
    } catch (err) {
      c.end().catch(() => undefined);
      timer = setTimeout(() => void connect(), Math.max(retryMs, 1000));
      log(`cannot LISTEN (${(err as Error).message}); polling`);
    }
  };
  const close = async () => {
    clearTimeout(timer);
    const c = client;
    client = undefined;
    await c?.end().catch(() => undefined);
  };
  void connect();
  return { close };
}
