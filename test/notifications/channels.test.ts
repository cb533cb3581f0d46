import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { webhookChannel } from '../../activities/notifications/webhook';
import { PermanentSendError } from '../../activities/notifications/channel';
import { startHarness, type Harness } from '../support/harness';
import { startTestSmtp, type TestSmtp } from '../support/smtp';
import { eventsFor, rowsFor, runNotify, seedOrder, setPrefs } from './fixtures';

interface Hit {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: any;
}

/** A local HTTP endpoint standing in for an SMS/push provider: records posts, answers with the status set per path. */
const hits: Hit[] = [];
const statusFor: Record<string, number> = {};
let hook: http.Server;
let hookUrl: string;
let smtp: TestSmtp;
let h: Harness;

beforeAll(async () => {
  hook = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString('utf8')));
    req.on('end', () => {
      const path = req.url ?? '/';
      hits.push({ path, headers: req.headers, body: JSON.parse(raw || '{}') });
      const status = statusFor[path] ?? 200;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify(status < 300 ? { id: `${path.slice(1)}-${hits.length}` } : { error: 'invalid recipient' }),
      );
    });
  });
  await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
  hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}`;
  smtp = await startTestSmtp();
  h = await startHarness({
    env: { SMTP_URL: smtp.url, NOTIFY_SMS_WEBHOOK_URL: `${hookUrl}/sms`, NOTIFY_PUSH_WEBHOOK_URL: `${hookUrl}/push` },
  });
});
afterAll(async () => {
  await h?.close();
  await smtp?.stop();
  await new Promise((r) => hook?.close(r));
});
beforeEach(() => {
  for (const k of Object.keys(statusFor)) delete statusFor[k];
});

test('the webhook adapter posts the message as JSON with the message id as Idempotency-Key', async () => {
  const channel = webhookChannel('sms', `${hookUrl}/sms`);
  const result = await channel.send({
    messageId: '<m-1@orderly.local>',
    to: '+447700900123',
    subject: 'S',
    text: 't',
    html: '<p>t</p>',
    short: 'Short body',
    orderId: 'o-1',
    kind: 'order_confirmed',
  });
  expect(result.providerMessageId).toMatch(/^sms-\d+$/);
  const hit = hits[hits.length - 1]!;
  expect(hit.path).toBe('/sms');
  expect(hit.headers['content-type']).toBe('application/json');
  expect(hit.headers['idempotency-key']).toBe('<m-1@orderly.local>');
  expect(hit.body).toEqual({
    channel: 'sms',
    to: '+447700900123',
    title: 'S',
    body: 'Short body',
    messageId: '<m-1@orderly.local>',
    orderId: 'o-1',
    kind: 'order_confirmed',
  });
});

test('a 4xx from the webhook is permanent, a 5xx is worth retrying', async () => {
  const channel = webhookChannel('push', `${hookUrl}/push`);
  const msg = {
    messageId: '<m-2@orderly.local>',
    to: 'tok',
    subject: 'S',
    text: 't',
    html: 'h',
    short: 's',
    orderId: 'o',
    kind: 'k',
  };
  statusFor['/push'] = 400;
  await expect(channel.send(msg)).rejects.toBeInstanceOf(PermanentSendError);
  statusFor['/push'] = 503;
  const err = await channel.send(msg).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(Error);
  expect(err).not.toBeInstanceOf(PermanentSendError);
});

test('a customer who chose email, sms and push gets all three, each tracked on its own row', async () => {
  const { orderId, customerId } = await seedOrder(h.db.db);
  await setPrefs(h.db.db, customerId, {
    channels: ['email', 'sms', 'push'],
    phone: '+447700900123',
    pushToken: 'device-abc',
  });
  await expect(runNotify(h, orderId)).resolves.toEqual({ email: 'sent', sms: 'sent', push: 'sent' });
  expect(smtp.for(orderId)).toHaveLength(1);
  const mine = hits.filter((x) => x.body.orderId === orderId);
  expect(mine.map((x) => [x.path, x.body.to])).toEqual(
    expect.arrayContaining([
      ['/sms', '+447700900123'],
      ['/push', 'device-abc'],
    ]),
  );
  expect(mine.find((x) => x.path === '/sms')!.body.messageId).toBe(
    `<order-${orderId}.order_confirmed.g0.sms@orderly.local>`,
  );
  const rows = await rowsFor(h.db.db, orderId);
  expect(rows.map((r) => [r.channel, r.status]).sort()).toEqual([
    ['email', 'sent'],
    ['push', 'sent'],
    ['sms', 'sent'],
  ]);
  expect((await eventsFor(h.db.db, orderId)).filter((e) => e.type === 'notification.sent')).toHaveLength(3);
});

test('one failing channel does not stop the others, and its failure is recorded', async () => {
  const { orderId, customerId } = await seedOrder(h.db.db);
  await setPrefs(h.db.db, customerId, { channels: ['email', 'push'], pushToken: 'stale-token' });
  statusFor['/push'] = 410;
  await expect(runNotify(h, orderId)).resolves.toEqual({ email: 'sent', push: 'failed' });
  expect(smtp.for(orderId)).toHaveLength(1);
  const rows = await rowsFor(h.db.db, orderId);
  expect(rows.find((r) => r.channel === 'push')).toMatchObject({ status: 'failed' });
  expect(rows.find((r) => r.channel === 'push')!.lastError).toMatch(/410/);
  const types = (await eventsFor(h.db.db, orderId)).map((e) => `${e.type}:${(e.data as any).channel}`);
  expect(types).toEqual(expect.arrayContaining(['notification.sent:email', 'notification.failed:push']));
});

test('a channel without its contact is skipped with a recorded reason', async () => {
  const { orderId, customerId } = await seedOrder(h.db.db);
  await setPrefs(h.db.db, customerId, { channels: ['email', 'sms'] });
  await expect(runNotify(h, orderId)).resolves.toEqual({ email: 'sent' });
  const sms = (await rowsFor(h.db.db, orderId)).find((r) => r.channel === 'sms');
  expect(sms).toMatchObject({ status: 'failed', lastError: 'skipped: the customer has no phone number on file' });
  const skipped = (await eventsFor(h.db.db, orderId)).filter((e) => e.type === 'notification.skipped');
  expect(skipped.map((e) => e.data)).toEqual([
    expect.objectContaining({ channel: 'sms', reason: 'the customer has no phone number on file' }),
  ]);
});
