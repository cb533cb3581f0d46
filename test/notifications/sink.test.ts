import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { simpleParser } from 'mailparser';
import { decodeHeaderWords, startSmtpSink } from '../../lib/smtp-sink';

test('the development SMTP sink stores each message as .eml and logs one line per message', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderly-outbox-'));
  const lines: { obj: any; msg: string }[] = [];
  const log = { info: (obj: any, msg: string) => lines.push({ obj, msg }), error: () => {}, warn: () => {} } as any;
  const sink = await startSmtpSink({ port: 0, dir, log });
  const transport = nodemailer.createTransport({ url: sink.url });
  try {
    await transport.sendMail({
      from: 'orders@orderly.local',
      to: 'ada@example.com',
      subject: 'Ordre confirmée ✓',
      text: 'hello',
      html: '<p>hello</p>',
      messageId: '<order-1.order_confirmed.g0@orderly.local>',
    });
    await transport.sendMail({
      from: 'orders@orderly.local',
      to: 'bob@example.com',
      subject: 'Second',
      text: 'two',
      messageId: '<order-2.order_confirmed.g0@orderly.local>',
    });
  } finally {
    transport.close();
    await sink.close();
  }
  const files = fs.readdirSync(dir).sort();
  expect(files).toHaveLength(2);
  expect(files[0]).toMatch(/order-1\.order_confirmed\.g0@orderly\.local\.eml$/);
  const parsed = await simpleParser(fs.readFileSync(path.join(dir, files[0]!)));
  expect(parsed.subject).toBe('Ordre confirmée ✓');
  expect(parsed.html).toContain('<p>hello</p>');
  expect(lines).toHaveLength(2);
  expect(lines[0]!.obj).toMatchObject({
    to: 'ada@example.com',
    subject: 'Ordre confirmée ✓',
    messageId: '<order-1.order_confirmed.g0@orderly.local>',
  });
  fs.rmSync(dir, { recursive: true, force: true });
});

test('encoded header words are decoded for the log line', () => {
  expect(decodeHeaderWords('=?UTF-8?Q?Ordre_confirm=C3=A9e?=')).toBe('Ordre confirmée');
  expect(decodeHeaderWords('=?UTF-8?B?4pyT?= done')).toBe('✓ done');
  expect(decodeHeaderWords('=?UTF-8?Q?a?= =?UTF-8?Q?b?=')).toBe('ab');
});
