/**
 * An SMTP server that captures what the code under test sends: a real
 * smtp-server on a free port (no TLS, any or no credentials), each message
 * parsed with mailparser. Use `url` as SMTP_URL / createMailer's argument.
 * A test can make it misbehave as real servers do: refuse for now (421/451),
 * refuse one recipient for good (550), be down (port closed), or acknowledge
 * a message late.
 */
import { simpleParser, type ParsedMail } from 'mailparser';
import type { DispatcherOptions } from '../../activities/email/dispatcher';
import { startLocalSmtp } from '../../scripts/lib/local-smtp';
import { addresses, headerStrings } from '../../scripts/lib/parsed-mail';

/** Mail retried within a second or so, so a test can watch an outage end. */
export const FAST_MAIL: Omit<DispatcherOptions, 'queue'> = {
  concurrency: 3,
  retryMinMs: 100,
  retryMaxMs: 1000,
  maxAttempts: 1000,
  leaseMs: 30_000,
  pollMs: 200,
};

export interface CapturedMail {
  /** As in the header, with angle brackets: `<key@domain>`. */
  messageId: string;
  /** Addresses of the To header (the envelope recipients when there is none). */
  to: string[];
  subject: string;
  text: string;
  /** Header name (lower case) -> decoded value. */
  headers: Record<string, string>;
  from: string;
  html: string | null;
  envelope: { from: string; to: string[] };
  /** Attached files as received (documents: PDFs). */
  attachments: { filename: string; contentType: string; content: Buffer }[];
}

export interface SmtpCapture {
  url: string;
  messages: CapturedMail[];
  /** The first message (already received or still to come) matching `pred`; rejects after `timeoutMs` (10 s). */
  waitFor(pred: (m: CapturedMail) => boolean, timeoutMs?: number): Promise<CapturedMail>;
  /** Answers every MAIL FROM with `code` (421 or 451: try again later) until accept(). */
  refuseTemporarily(code?: 421 | 451): void;
  /** Answers RCPT TO of this address with `code` (550: no such user) until accept(). */
  refuseRecipient(address: string, code?: number): void;
  /** Ends both kinds of refusal. */
  accept(): void;
  /** Closes the port (drops open connections): connections are refused until up(). */
  down(): Promise<void>;
  /** Listens on the same port again. */
  up(): Promise<void>;
  /**
   * Counts each message as received when its data has arrived, but answers
   * "250 accepted" only `ms` later: a sender killed in between is the
   * duplicate window (the server has the message, the sender never heard).
   */
  delayAcceptance(ms: number): void;
  close(): Promise<void>;
}

export async function startSmtpCapture(): Promise<SmtpCapture> {
  const messages: CapturedMail[] = [];
  const waiters = new Set<(m: CapturedMail) => void>();
  let temporaryRefusal: number | undefined;
  const refusedRecipients = new Map<string, number>();
  let acceptDelayMs = 0;

  const refusal = (code: number, message: string) => Object.assign(new Error(message), { responseCode: code });

  const open = (port?: number) =>
    startLocalSmtp({
      user: 'test',
      port,
      extra: {
        onMailFrom(_address, _session, callback) {
          if (temporaryRefusal) return callback(refusal(temporaryRefusal, 'Try again later (test capture)'));
          callback();
        },
        onRcptTo(address, _session, callback) {
          const code = refusedRecipients.get(address.address.toLowerCase());
          if (code) return callback(refusal(code, `No such user here: ${address.address} (test capture)`));
          callback();
        },
      },
      onData(stream, session, callback) {
        simpleParser(stream)
          .then((parsed) => {
            const envelope = {
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              to: session.envelope.rcptTo.map((r) => r.address),
            };
            const mail = toCaptured(parsed, envelope);
            messages.push(mail);
            for (const w of [...waiters]) w(mail);
            if (acceptDelayMs > 0) setTimeout(() => callback(), acceptDelayMs);
            else callback();
          })
          .catch((err: Error) => callback(err));
      },
    });

  let smtp: Awaited<ReturnType<typeof startLocalSmtp>> | undefined = await open();
  const port = smtp.port;

  return {
    url: smtp.url,
    messages,
    waitFor(pred, timeoutMs = 10_000) {
      const found = messages.find(pred);
      if (found) return Promise.resolve(found);
      return new Promise<CapturedMail>((resolve, reject) => {
        const waiter = (m: CapturedMail) => {
          if (!pred(m)) return;
          clearTimeout(timer);
          waiters.delete(waiter);
          resolve(m);
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          const seen = messages.map((m) => `  ${m.to.join(', ')}: ${m.subject}`).join('\n') || '  (none)';
          reject(new Error(`no matching email within ${timeoutMs} ms; received:\n${seen}`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    refuseTemporarily(code = 451) {
      temporaryRefusal = code;
    },
    refuseRecipient(address, code = 550) {
      refusedRecipients.set(address.toLowerCase(), code);
    },
    accept() {
      temporaryRefusal = undefined;
      refusedRecipients.clear();
    },
    async down() {
      const s = smtp;
      smtp = undefined;
      await s?.close();
    },
    async up() {
      if (!smtp) smtp = await open(port);
    },
    delayAcceptance(ms) {
      acceptDelayMs = ms;
    },
    async close() {
      await smtp?.close();
      smtp = undefined;
    },
  };
}

function toCaptured(p: ParsedMail, envelope: { from: string; to: string[] }): CapturedMail {
  const to = addresses(p.to);
  return {
    messageId: p.messageId ?? '',
    to: to.length ? to : envelope.to,
    subject: p.subject ?? '',
    text: p.text ?? '',
    headers: headerStrings(p),
    from: p.from?.text ?? envelope.from,
    html: typeof p.html === 'string' ? p.html : null,
    envelope,
    attachments: p.attachments.map((a) => ({ filename: a.filename ?? '', contentType: a.contentType, content: a.content })),
  };
}
