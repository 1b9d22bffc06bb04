/**
 * A local SMTP server as the mail catcher (`npm start`), the tests and the
 * bench run it: no TLS, any or no credentials, connections of a pooled
 * transport dropped promptly on close. Each caller decides what a message is
 * for (`onData`: parse and keep it, or just count it).
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

export interface LocalSmtp {
  server: SMTPServer;
  port: number;
  url: string;
  close(): Promise<void>;
}

export async function startLocalSmtp(opts: {
  /** The user name sessions get when a client does authenticate. */
  user: string;
  onData: NonNullable<SMTPServerOptions['onData']>;
  /** 0: a free port. */
  port?: number;
  host?: string;
  /** onMailFrom / onRcptTo: the test capture refuses senders or recipients on demand (test/support/smtp.ts). */
  extra?: Pick<SMTPServerOptions, 'banner' | 'size' | 'logger' | 'closeTimeout' | 'onMailFrom' | 'onRcptTo'>;
}): Promise<LocalSmtp> {
  const host = opts.host ?? '127.0.0.1';
  const server = new SMTPServer({
    secure: false,
    disabledCommands: ['STARTTLS'],
    authOptional: true,
    allowInsecureAuth: true,
    // close(): drop connections a pooled transport keeps open instead of waiting 30 s.
    closeTimeout: 500,
    logger: false,
    ...opts.extra,
    onAuth(_auth, _session, callback) {
      callback(null, { user: opts.user });
    },
    onData: opts.onData,
  });
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.server.address() as AddressInfo;
  return {
    server,
    port,
    url: `smtp://${host}:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
