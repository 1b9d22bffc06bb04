/**
 * An SMTP server on a free loopback port that accepts every message and
 * throws it away (counting it): the pipeline's emails go through the real
 * outbox and nodemailer, and end here.
 */
import { startLocalSmtp } from '../../scripts/lib/local-smtp';

export interface SmtpSink {
  url: string;
  received(): number;
  close(): Promise<void>;
}

export async function startSmtpSink(): Promise<SmtpSink> {
  let count = 0;
  const smtp = await startLocalSmtp({
    user: 'bench',
    onData(stream, _session, callback) {
      stream.on('end', () => {
        count += 1;
        callback();
      });
      stream.resume();
    },
  });
  return { url: smtp.url, received: () => count, close: smtp.close };
}
