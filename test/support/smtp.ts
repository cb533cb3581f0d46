/**
 * A real SMTP server for tests (smtp-server on a free loopback port), collecting every accepted message parsed with
 * mailparser. It can be stopped and started again on the same port (an outage), delay its acceptance (a slow
 * server, to crash a worker mid-send) or refuse recipients for good (550).
 */
import { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';

export interface ReceivedMail {
  raw: string;
  parsed: ParsedMail;
  messageId: string;
  to: string[];
  subject: string;
}

export interface TestSmtp {
  readonly port: number;
  readonly url: string;
  readonly messages: ReceivedMail[];
  /** Emits 'data' when a message's DATA starts arriving (before acceptance) and 'accepted' after the 250. */
  readonly events: EventEmitter;
  /** Hold every acceptance this long (0: answer at once). */
  delayMs: number;
  /** When set, RCPT TO is refused with this 5xx code. */
  rejectCode?: number;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Messages whose Message-ID contains `part` (e.g. an order id). */
  for(part: string): ReceivedMail[];
}

function addresses(to: AddressObject | AddressObject[] | undefined): string[] {
  const list = Array.isArray(to) ? to : to ? [to] : [];
  return list.flatMap((a) => a.value.map((v) => v.address ?? ''));
}

export async function startTestSmtp(): Promise<TestSmtp> {
  const events = new EventEmitter();
  const messages: ReceivedMail[] = [];
  let server: SMTPServer | undefined;
  let port = 0;

  const state: TestSmtp = {
    get port() {
      return port;
    },
    get url() {
      return `smtp://127.0.0.1:${port}`;
    },
    messages,
    events,
    delayMs: 0,
    rejectCode: undefined,
    async start() {
      const s = new SMTPServer({
        authOptional: true,
        disabledCommands: ['STARTTLS', 'AUTH'],
        logger: false,
        closeTimeout: 200,
        onRcptTo(_address, _session, callback) {
          if (state.rejectCode) {
            const err = new Error('mailbox unavailable') as Error & { responseCode: number };
            err.responseCode = state.rejectCode;
            callback(err);
            return;
          }
          callback();
        },
        onData(stream, _session, callback) {
          events.emit('data');
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('end', () => {
            const raw = Buffer.concat(chunks).toString('utf8');
            const accept = async () => {
              const parsed = await simpleParser(raw);
              const mail: ReceivedMail = {
                raw,
                parsed,
                messageId: parsed.messageId ?? '',
                to: addresses(parsed.to),
                subject: parsed.subject ?? '',
              };
              messages.push(mail);
              callback(null, `queued as test-${messages.length}`);
              events.emit('accepted', mail);
            };
            const delay = state.delayMs;
            if (delay > 0) setTimeout(() => void accept(), delay);
            else void accept();
          });
        },
      });
      await new Promise<void>((resolve, reject) => {
        s.server.once('error', reject);
        s.listen(port, '127.0.0.1', () => {
          s.server.off('error', reject);
          resolve();
        });
      });
      s.on('error', () => {}); // clients dropping mid-session are expected in outage tests
      port = (s.server.address() as AddressInfo).port;
      server = s;
    },
    async stop() {
      const s = server;
      server = undefined;
      if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    },
    for(part) {
      return messages.filter((m) => m.messageId.includes(part));
    },
  };
  await state.start();
  return state;
}
