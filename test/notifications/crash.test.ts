import { randomUUID } from 'node:crypto';
import type { Harness } from '../support/harness';
import type { TestSmtp } from '../support/smtp';
import { waitFor } from '../support/wait';
import { eventsFor, mailSuite, rowsFor, runNotify, seedOrder } from './fixtures';

let smtp: TestSmtp;
let h: Harness;
mailSuite((started, harness) => {
  smtp = started;
  h = harness;
});

test('a worker stopped mid-send never yields two copies with different Message-IDs', async () => {
  const { orderId } = await seedOrder(h.db.db);
  // The server holds its "250 accepted" for 4s; the worker is stopped while it waits (2s shutdown grace, then the
  // attempt is cancelled and never marks the row). The server still accepts that first copy afterwards.
  smtp.delayMs = 4000;
  const dataSeen = new Promise<void>((resolve) => smtp.events.once('data', () => resolve()));
  const run = runNotify(h, orderId, 'order_confirmed', `notify-crash-${randomUUID()}`);
  await dataSeen;
  await h.stopWorker();
  const [during] = await rowsFor(h.db.db, orderId);
  expect(during!.status).toBe('pending');

  smtp.delayMs = 0;
  await h.restartWorker();
  await expect(run).resolves.toEqual({ email: 'sent' });
  // The server still accepts the abandoned first copy when its hold ends: two copies, the one window docs/notifications.md owns
  // up to, and both carry the same Message-ID.
  const copies = await waitFor(
    'the abandoned copy and the retry at the server',
    async () => smtp.for(orderId),
    (m) => m.length >= 2,
    10_000,
  );
  expect(copies.map((m) => m.messageId)).toEqual([
    `<order-${orderId}.order_confirmed.g0@orderly.local>`,
    `<order-${orderId}.order_confirmed.g0@orderly.local>`,
  ]);
  const [row] = await rowsFor(h.db.db, orderId);
  expect(row).toMatchObject({ status: 'sent', attempts: 2 });
  expect((await eventsFor(h.db.db, orderId)).filter((e) => e.type === 'notification.sent')).toHaveLength(1);
});
