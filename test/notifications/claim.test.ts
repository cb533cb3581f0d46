/**
 * claimWithOrder reads the order and claims its tracking row in one statement. Each outcome straight against the
 * database: a first claim, a retry of the same generation, a row already sent, a row a resend moved on, a channel
 * with no recipient, an order that does not exist. Only a claim may write the row.
 */
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { notifications } from '../../db/schema';
import { claimWithOrder, loadOrder, markSent, type NotificationKey } from '../../activities/notifications/store';
import { createTestDb, type TestDb } from '../support/db';
import { rowsFor, seedOrder, setPrefs } from './fixtures';

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(async () => {
  await db?.close();
});

const now = new Date('2026-11-30T10:00:00Z');
const keyFor = (orderId: string, over: Partial<NotificationKey> = {}): NotificationKey => ({
  orderId,
  kind: 'order_confirmed',
  channel: 'email',
  generation: 0,
  ...over,
});

test('a first claim returns the order as loadOrder reads it and takes the row at attempt 1; a retry counts attempt 2', async () => {
  const { orderId, email } = await seedOrder(db.db);
  const first = await claimWithOrder(db.db, keyFor(orderId), 'mid-1', now);
  expect(first).toMatchObject({
    decision: 'send',
    recipient: email,
    row: { generation: 0, messageId: 'mid-1', recipient: email, attempts: 1 },
  });
  if (first.decision !== 'send') throw new Error('expected a claim');
  expect(first.order).toEqual(await loadOrder(db.db, orderId));
  expect(first.order.view.lines.map((l) => l.name)).toEqual(['Coffee Beans 1kg', 'Espresso Cup']);
  expect(first.order.prefs).toEqual({ channels: ['email'], phone: null, pushToken: null });

  const retry = await claimWithOrder(db.db, keyFor(orderId), 'mid-1', now);
  expect(retry).toMatchObject({ decision: 'send', row: { id: first.row.id, attempts: 2 } });
  expect(await rowsFor(db.db, orderId)).toMatchObject([{ status: 'pending', attempts: 2, recipient: email }]);
});

test('a row already sent for this generation is not claimed again, and answers with its Message-ID', async () => {
  const { orderId } = await seedOrder(db.db);
  const key = keyFor(orderId);
  const first = await claimWithOrder(db.db, key, 'mid-sent', now);
  if (first.decision !== 'send') throw new Error('expected a claim');
  await markSent(db.db, key, first.row, 'provider-1', now);
  expect(await claimWithOrder(db.db, key, 'mid-sent', now)).toMatchObject({
    decision: 'already_sent',
    messageId: 'mid-sent',
  });
  expect(await rowsFor(db.db, orderId)).toMatchObject([
    { status: 'sent', attempts: 1, providerMessageId: 'provider-1' },
  ]);
});

test('a retry of an older generation stands down once a resend moved the row on; the newer generation starts at attempt 1', async () => {
  const { orderId } = await seedOrder(db.db);
  await claimWithOrder(db.db, keyFor(orderId), 'mid-g0', now);
  const resent = await claimWithOrder(db.db, keyFor(orderId, { generation: 1 }), 'mid-g1', now);
  expect(resent).toMatchObject({ decision: 'send', row: { generation: 1, messageId: 'mid-g1', attempts: 1 } });
  expect(await claimWithOrder(db.db, keyFor(orderId), 'mid-g0', now)).toMatchObject({
    decision: 'superseded',
    messageId: 'mid-g1',
  });
  expect(await rowsFor(db.db, orderId)).toMatchObject([{ generation: 1, messageId: 'mid-g1', attempts: 1 }]);
});

test('sms and push go to the customer phone and push token; without one nothing is claimed', async () => {
  const { orderId, customerId } = await seedOrder(db.db);
  expect(await claimWithOrder(db.db, keyFor(orderId, { channel: 'sms' }), 'mid-sms', now)).toMatchObject({
    decision: 'no_recipient',
  });
  await setPrefs(db.db, customerId, { channels: ['sms', 'push'], phone: '+4915112345678', pushToken: 'push-abc' });
  expect(await claimWithOrder(db.db, keyFor(orderId, { channel: 'sms' }), 'mid-sms', now)).toMatchObject({
    decision: 'send',
    recipient: '+4915112345678',
  });
  expect(await claimWithOrder(db.db, keyFor(orderId, { channel: 'push' }), 'mid-push', now)).toMatchObject({
    decision: 'send',
    recipient: 'push-abc',
  });
  const channels = (
    await db.db.select({ channel: notifications.channel }).from(notifications).where(eq(notifications.orderId, orderId))
  ).map((r) => r.channel);
  expect(channels.sort()).toEqual(['push', 'sms']);
});

test('an order that does not exist claims nothing', async () => {
  const orderId = randomUUID();
  expect(await claimWithOrder(db.db, keyFor(orderId), 'mid-none', now)).toEqual({ decision: 'no_order' });
  expect(await rowsFor(db.db, orderId)).toEqual([]);
});
