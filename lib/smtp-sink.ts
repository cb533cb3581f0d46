/**
 * An embedded SMTP server for development: accepts every message on loopback, stores it as an .eml file and logs
 * one line per message, so `make start` shows the emails a checkout sends without any mail server installed.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import type { Logger } from './logger';

export interface SmtpSink {
  /** smtp://127.0.0.1:<port>, ready for SMTP_URL. */
  url: string;
  close(): Promise<void>;
}

/** Decodes RFC 2047 encoded words (=?utf-8?Q?...?= and =?utf-8?B?...?=), which nodemailer uses for non-ASCII subjects. */
export function decodeHeaderWords(value: string): string {
  // Whitespace between two adjacent encoded words is not part of the text (RFC 2047 section 6.2).
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?([^?]+)\?([bBqQ])\?([^?]*)\?=/g, (_all, charset: string, enc: string, text: string) => {
      const bytes =
        enc.toUpperCase() === 'B'
          ? Buffer.from(text, 'base64')
          : Buffer.from(
              text
                .replace(/_/g, ' ')
                .replace(/=([0-9A-Fa-f]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))),
              'latin1',
            );
      return bytes.toString(/^utf-?8$/i.test(charset) ? 'utf8' : 'latin1');
    });
}

/** The unfolded value of the first header called `name` in a raw message. */
export function headerValue(raw: string, name: string): string | undefined {
  const head = raw.split(/\r?\n\r?\n/, 1)[0] ?? '';
  const unfolded = head.replace(/\r?\n[ \t]+/g, ' ');
  const match = new RegExp(`^${name}:[ \\t]*(.*)$`, 'im').exec(unfolded);
  return match?.[1] === undefined ? undefined : decodeHeaderWords(match[1].trim());
}

export async function startSmtpSink(opts: {
  port: number;
  dir: string;
  log: Logger;
  host?: string;
}): Promise<SmtpSink> {
  const host = opts.host ?? '127.0.0.1';
  fs.mkdirSync(opts.dir, { recursive: true });
  let seq = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    banner: 'Orderly development SMTP sink',
    size: 10 * 1024 * 1024,
    closeTimeout: 1000,
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', callback);
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        const text = raw.toString('utf8');
        const messageId = headerValue(text, 'Message-ID') ?? '';
        const slug =
          messageId
            .replace(/[<>]/g, '')
            .replace(/[^\w.@-]+/g, '_')
            .slice(0, 120) || 'message';
        const stamp = new Date().toISOString().replace(/[:.]/g, '-');
        seq += 1;
        const file = path.join(opts.dir, `${stamp}-${String(seq).padStart(4, '0')}-${slug}.eml`);
        fs.writeFile(file, raw, (err) => {
          if (err) {
            opts.log.error({ err, file }, 'smtp sink could not store a message');
            callback(new Error('could not store the message'));
            return;
          }
          const to = session.envelope.rcptTo.map((r) => r.address).join(', ');
          opts.log.info({ to, subject: headerValue(text, 'Subject'), messageId, file }, 'mail stored');
          callback(null, `queued as ${path.basename(file)}`);
        });
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(opts.port, host, () => {
      server.server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => opts.log.error({ err }, 'smtp sink error'));
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://${host}:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
