import { randomUUID } from 'node:crypto';
import type { Harness } from '../support/harness';
import type { TestSmtp } from '../support/smtp';
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
  await new Promise((r) => setTimeout(r, 4500)); // let the abandoned first send finish at the server

  const copies = smtp.for(orderId);
  // Normally 2: the abandoned copy and the retry's. That is the one window the README owns up to.
  expect(copies.length).toBeGreaterThanOrEqual(1);
  expect(copies.length).toBeLessThanOrEqual(2);
  expect(new Set(copies.map((m) => m.messageId))).toEqual(
    new Set([`<order-${orderId}.order_confirmed.g0@orderly.local>`]),
  );
  const [row] = await rowsFor(h.db.db, orderId);
  expect(row).toMatchObject({ status: 'sent', attempts: 2 });
  expect((await eventsFor(h.db.db, orderId)).filter((e) => e.type === 'notification.sent')).toHaveLength(1);
});
