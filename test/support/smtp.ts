/**
 * An SMTP server that captures what the code under test sends: a real
 * smtp-server on a free port (no TLS, any or no credentials), each message
 * parsed with mailparser. Use `url` as SMTP_URL / createMailer's argument.
 */
import { simpleParser, type ParsedMail } from 'mailparser';
import { startLocalSmtp } from '../../scripts/lib/local-smtp';
import { addresses, headerStrings } from '../../scripts/lib/parsed-mail';

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
  close(): Promise<void>;
}

export async function startSmtpCapture(): Promise<SmtpCapture> {
  const messages: CapturedMail[] = [];
  const waiters = new Set<(m: CapturedMail) => void>();

  const smtp = await startLocalSmtp({
    user: 'test',
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
          callback();
        })
        .catch((err: Error) => callback(err));
    },
  });

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
    close: smtp.close,
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
