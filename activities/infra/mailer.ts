/**
 * The SMTP transport: one pooled nodemailer transporter per process, created
 * from SMTP_URL (`smtp://[user:pass@]host:port`, or `smtps://` for implicit
 * TLS). Close it with `transporter.close()` on shutdown.
 */
import * as nodemailer from 'nodemailer';

export function createMailer(smtpUrl: string): nodemailer.Transporter {
  const url = new URL(smtpUrl);
  const secure = url.protocol === 'smtps:';
  const auth = url.username
    ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) }
    : undefined;
  return nodemailer.createTransport({
    pool: true,
    maxConnections: 3,
    host: url.hostname,
    port: url.port ? Number(url.port) : secure ? 465 : 25,
    secure,
    auth,
    // A local catcher (and many relays) offers no TLS; use STARTTLS only when
    // the server offers it, and do not insist on it.
    ignoreTLS: !secure && isLocal(url.hostname),
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  });
}

function isLocal(hostname: string): boolean {
  return hostname === '127.0.0.1' || hostname === 'localhost' || hostname === '::1' || hostname === '[::1]';
}
