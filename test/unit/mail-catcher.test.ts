/**
 * The local mail catcher (scripts/mail-catcher.ts, `npm start`'s inbox) keeps
 * what the system attaches, so the README walkthrough's PDFs can be opened
 * from the caught mails: listed in the JSON and the HTML view, downloaded
 * byte for byte. A real SMTP exchange with nodemailer, on free ports.
 */
import { createHash } from 'node:crypto';
import nodemailer from 'nodemailer';
import { startMailCatcher, type MailCatcher } from '../../scripts/mail-catcher';

let catcher: MailCatcher;
beforeAll(async () => {
  catcher = await startMailCatcher({ smtpPort: 0, httpPort: 0, inboxFile: null });
});
afterAll(() => catcher.close());

test('attachments are listed and served as sent', async () => {
  const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n销售合同 '), Buffer.from(Array.from({ length: 3000 }, (_, i) => i % 256))]);
  const port = Number(new URL(catcher.smtpUrl).port);
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
  await transport.sendMail({
    from: 'orders@example.com',
    to: 'buyer@example.com',
    subject: '订单 SO-2026-000001 已确认',
    text: '附件为销售合同。',
    attachments: [{ filename: 'HT-2026-000001-V1.pdf', content: pdf, contentType: 'application/pdf' }],
  });
  transport.close();

  const list = (await (await fetch(`${catcher.httpUrl}/messages`)).json()) as { id: number; attachments: string[] }[];
  expect(list[0].attachments).toEqual(['HT-2026-000001-V1.pdf']);
  const one = (await (await fetch(`${catcher.httpUrl}/messages/${list[0].id}`)).json()) as { attachments: Record<string, unknown>[] };
  expect(one.attachments).toEqual([
    { filename: 'HT-2026-000001-V1.pdf', contentType: 'application/pdf', size: pdf.length, sha256: createHash('sha256').update(pdf).digest('hex'), url: `/messages/${list[0].id}/attachments/0` },
  ]);
  const file = await fetch(`${catcher.httpUrl}${one.attachments[0].url}`);
  expect(file.headers.get('content-type')).toBe('application/pdf');
  expect(Buffer.from(await file.arrayBuffer()).equals(pdf)).toBe(true);
  expect(await (await fetch(`${catcher.httpUrl}/view/${list[0].id}`)).text()).toContain(`href="/messages/${list[0].id}/attachments/0">HT-2026-000001-V1.pdf</a>`);
  expect((await fetch(`${catcher.httpUrl}/messages/${list[0].id}/attachments/1`)).status).toBe(404);
});
