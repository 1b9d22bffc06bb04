/**
 * The local SMTP catcher of the default run (SPEC section 8: "a local SMTP
 * catcher whose inbox can be read"). Accepts every message on SMTP (no TLS,
 * any or no credentials), keeps it in memory and appends it to
 * .data/mail/inbox.jsonl (reloaded at start), and serves the inbox over HTTP:
 *
 *   GET /               HTML inbox, newest first
 *   GET /view/:id       HTML view of one message (text body, headers)
 *   GET /messages       JSON list (summaries, newest first)
 *   GET /messages/:id   JSON of one message (bodies, headers, attachments without their content)
 *   GET /messages/:id/attachments/:n   the n-th attachment (0-based) as sent, e.g. the PDF documents
 *   DELETE /messages    empty the inbox
 *
 *   tsx scripts/mail-catcher.ts   (SMTP port from SMTP_URL, HTTP port MAIL_CATCHER_HTTP_PORT)
 */
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { startLocalSmtp } from './lib/local-smtp';
import { addresses, headerStrings } from './lib/parsed-mail';

export interface StoredMail {
  id: number;
  receivedAt: string;
  envelope: { from: string; to: string[] };
  messageId: string;
  from: string;
  to: string[];
  cc: string[];
  subject: string;
  date: string | null;
  text: string;
  html: string | null;
  headers: Record<string, string>;
  /** Absent in inbox lines written before attachments were kept. */
  attachments?: StoredAttachment[];
}

export interface StoredAttachment {
  filename: string;
  contentType: string;
  size: number;
  sha256: string;
  contentBase64: string;
}

export interface MailCatcherOptions {
  host?: string;
  smtpPort: number;
  httpPort: number;
  /** JSON-lines file to append to and reload from; null keeps messages in memory only. */
  inboxFile?: string | null;
  /** Messages kept in memory (oldest dropped first). */
  keep?: number;
}

export interface MailCatcher {
  smtpUrl: string;
  httpUrl: string;
  messages: StoredMail[];
  close(): Promise<void>;
}

export async function startMailCatcher(opts: MailCatcherOptions): Promise<MailCatcher> {
  const host = opts.host ?? '127.0.0.1';
  const keep = opts.keep ?? 1000;
  const inboxFile = opts.inboxFile === undefined ? null : opts.inboxFile;
  const messages: StoredMail[] = inboxFile ? loadInbox(inboxFile, keep) : [];
  let nextId = messages.reduce((max, m) => Math.max(max, m.id), 0) + 1;

  const smtp = await startLocalSmtp({
    user: 'catcher',
    port: opts.smtpPort,
    host,
    extra: { closeTimeout: 2000, banner: 'sales-order mail catcher', size: 25 * 1024 * 1024 },
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((parsed) => {
          const mail = toStored(nextId++, parsed, {
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
          });
          messages.push(mail);
          if (messages.length > keep) messages.splice(0, messages.length - keep);
          if (inboxFile) appendFileSync(inboxFile, `${JSON.stringify(mail)}\n`);
          console.log(`received #${mail.id} to ${mail.to.join(', ') || mail.envelope.to.join(', ')}: ${mail.subject}`);
          callback();
        })
        .catch((err: Error) => callback(err));
    },
  });
  smtp.server.on('error', (err) => console.error(`smtp error: ${err.message}`));

  const http = createServer((req, res) => {
    try {
      route(req, res);
    } catch (err) {
      send(res, 500, 'text/plain', `error: ${(err as Error).message}`);
    }
  });

  const route = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const newestFirst = () => [...messages].reverse();
    let m: RegExpExecArray | null;
    if (req.method === 'GET' && path === '/') return send(res, 200, 'text/html', inboxPage(newestFirst()));
    if (req.method === 'GET' && path === '/messages') return sendJson(res, 200, newestFirst().map(summary));
    if (req.method === 'DELETE' && path === '/messages') {
      messages.length = 0;
      if (inboxFile) writeFileSync(inboxFile, '');
      return sendJson(res, 200, { deleted: true });
    }
    if (req.method === 'GET' && (m = /^\/messages\/(\d+)$/.exec(path))) {
      const mail = messages.find((x) => x.id === Number(m![1]));
      return mail ? sendJson(res, 200, withoutContent(mail)) : sendJson(res, 404, { error: 'not_found', message: `no message ${m[1]}` });
    }
    if (req.method === 'GET' && (m = /^\/messages\/(\d+)\/attachments\/(\d+)$/.exec(path))) {
      const a = messages.find((x) => x.id === Number(m![1]))?.attachments?.[Number(m[2])];
      if (!a) return sendJson(res, 404, { error: 'not_found', message: `no attachment ${m[2]} of message ${m[1]}` });
      res.writeHead(200, {
        'content-type': a.contentType,
        'content-length': a.size,
        'content-disposition': `inline; filename*=UTF-8''${encodeURIComponent(a.filename)}`,
        'cache-control': 'no-store',
      });
      res.end(Buffer.from(a.contentBase64, 'base64'));
      return;
    }
    if (req.method === 'GET' && (m = /^\/view\/(\d+)$/.exec(path))) {
      const mail = messages.find((x) => x.id === Number(m![1]));
      return mail ? send(res, 200, 'text/html', messagePage(mail)) : send(res, 404, 'text/plain', `no message ${m[1]}`);
    }
    sendJson(res, 404, { error: 'not_found', message: `${req.method} ${path}` });
  };

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(opts.httpPort, host, () => {
      http.off('error', reject);
      resolve();
    });
  });

  const httpPort = (http.address() as AddressInfo).port;
  return {
    smtpUrl: smtp.url,
    httpUrl: `http://${host}:${httpPort}`,
    messages,
    close: async () => {
      await smtp.close();
      await closeHttp(http);
    },
  };
}

function toStored(id: number, p: ParsedMail, envelope: { from: string; to: string[] }): StoredMail {
  return {
    id,
    receivedAt: new Date().toISOString(),
    envelope,
    messageId: p.messageId ?? '',
    from: p.from?.text ?? envelope.from,
    to: addresses(p.to),
    cc: addresses(p.cc),
    subject: p.subject ?? '',
    date: p.date ? p.date.toISOString() : null,
    text: p.text ?? '',
    html: typeof p.html === 'string' ? p.html : null,
    headers: headerStrings(p),
    attachments: p.attachments.map((a, i) => ({
      filename: a.filename ?? `attachment-${i + 1}`,
      contentType: a.contentType,
      size: a.size,
      sha256: createHash('sha256').update(a.content).digest('hex'),
      contentBase64: a.content.toString('base64'),
    })),
  };
}

const attachmentUrl = (m: StoredMail, i: number) => `/messages/${m.id}/attachments/${i}`;

/** A message as JSON: each attachment with its download URL instead of its content. */
function withoutContent(m: StoredMail) {
  return { ...m, attachments: (m.attachments ?? []).map(({ contentBase64: _, ...a }, i) => ({ ...a, url: attachmentUrl(m, i) })) };
}

function loadInbox(file: string, keep: number): StoredMail[] {
  mkdirSync(dirname(file), { recursive: true });
  if (!existsSync(file)) return [];
  const out: StoredMail[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as StoredMail);
    } catch {
      // A torn last line from a crash: skip it.
    }
  }
  return out.slice(-keep);
}

const summary = (m: StoredMail) => ({
  id: m.id,
  receivedAt: m.receivedAt,
  messageId: m.messageId,
  from: m.from,
  to: m.to,
  subject: m.subject,
  attachments: (m.attachments ?? []).map((a) => a.filename),
});

function esc(s: unknown): string {
  return String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `body{font-family:system-ui,"PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif;margin:2rem;color:#222}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.4rem .6rem;border-bottom:1px solid #ddd;vertical-align:top}
th{background:#f4f4f4}a{color:#0b5cad;text-decoration:none}a:hover{text-decoration:underline}
pre{white-space:pre-wrap;background:#f8f8f8;padding:1rem;border:1px solid #ddd}.muted{color:#777}dt{font-weight:600}dd{margin:0 0 .4rem 0}`;

function page(title: string, body: string): string {
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>${esc(title)}</title>
<meta name="viewport" content="width=device-width,initial-scale=1"><style>${STYLE}</style></head><body>${body}</body></html>`;
}

function inboxPage(list: StoredMail[]): string {
  const rows = list
    .map(
      (m) => `<tr><td class="muted">${m.id}</td><td><a href="/view/${m.id}">${esc(m.subject || '(no subject)')}</a></td>
<td>${esc(m.to.join(', ') || m.envelope.to.join(', '))}</td><td>${esc((m.attachments ?? []).map((a) => a.filename).join(', '))}</td><td class="muted">${esc(m.date ?? m.receivedAt)}</td></tr>`,
    )
    .join('\n');
  return page(
    `Inbox (${list.length})`,
    `<h1>Mail catcher inbox <span class="muted">(${list.length})</span></h1>
<p class="muted">Every email the system sends lands here. Newest first. JSON: <a href="/messages">/messages</a></p>
<table><thead><tr><th>#</th><th>Subject</th><th>To</th><th>Attachments</th><th>Date</th></tr></thead><tbody>
${rows || '<tr><td colspan="5" class="muted">No messages yet.</td></tr>'}
</tbody></table>`,
  );
}

function messagePage(m: StoredMail): string {
  const headers = Object.entries(m.headers)
    .map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`)
    .join('');
  return page(
    m.subject || '(no subject)',
    `<p><a href="/">&larr; Inbox</a> · <a href="/messages/${m.id}">JSON</a></p>
<h1>${esc(m.subject || '(no subject)')}</h1>
<dl><dt>From</dt><dd>${esc(m.from)}</dd><dt>To</dt><dd>${esc(m.to.join(', '))}</dd>
${m.cc.length ? `<dt>Cc</dt><dd>${esc(m.cc.join(', '))}</dd>` : ''}
<dt>Date</dt><dd>${esc(m.date ?? m.receivedAt)}</dd><dt>Message-ID</dt><dd>${esc(m.messageId)}</dd>
${(m.attachments ?? []).length ? `<dt>Attachments</dt><dd>${(m.attachments ?? []).map((a, i) => `<a href="${attachmentUrl(m, i)}">${esc(a.filename)}</a> <span class="muted">(${esc(a.contentType)}, ${a.size} bytes)</span>`).join('<br>')}</dd>` : ''}</dl>
<pre>${esc(m.text || '(no text part)')}</pre>
<details><summary>All headers</summary><dl>${headers}</dl></details>`,
  );
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'no-store' });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  send(res, status, 'application/json', JSON.stringify(body, null, 2));
}

function closeHttp(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

async function main(): Promise<void> {
  const { loadConfig } = await import('../activities/infra/config');
  const config = loadConfig();
  const smtpUrl = new URL(config.smtpUrl);
  const catcher = await startMailCatcher({
    host: process.env.MAIL_CATCHER_HOST ?? '127.0.0.1',
    smtpPort: smtpUrl.port ? Number(smtpUrl.port) : 1025,
    httpPort: config.mailCatcherHttpPort,
    inboxFile: join(__dirname, '..', '.data', 'mail', 'inbox.jsonl'),
  });
  console.log(`SMTP catcher listening on ${catcher.smtpUrl} (${catcher.messages.length} earlier messages loaded)`);
  console.log(`inbox: ${catcher.httpUrl}/  (JSON: ${catcher.httpUrl}/messages)`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: shutting down`);
    const force = setTimeout(() => process.exit(0), 3000);
    force.unref();
    catcher.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

if (require.main === module) {
  main().catch((err) => {
    console.error(`[mail] ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
