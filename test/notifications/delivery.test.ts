import { eq } from 'drizzle-orm';
import { orders } from '../../db/schema';
import type { Harness } from '../support/harness';
import type { TestSmtp } from '../support/smtp';
import { waitFor } from '../support/wait';
import { eventsFor, mailSuite, rowsFor, runNotify, seedOrder } from './fixtures';

let smtp: TestSmtp;
let h: Harness;
mailSuite(
  (started, harness) => {
    smtp = started;
    h = harness;
  },
  { env: { MAIL_FROM: 'Orderly <orders@orderly.test>' } },
);
beforeEach(() => {
  smtp.delayMs = 0;
  smtp.rejectCode = undefined;
});

test('the confirmation email arrives with the recipient, subject, currency-formatted totals and both parts', async () => {
  const { orderId, email } = await seedOrder(h.db.db);
  const result = await runNotify(h, orderId);
  expect(result).toEqual({ email: 'sent' });

  const [mail, ...rest] = smtp.for(orderId);
  expect(rest).toHaveLength(0);
  expect(mail!.to).toEqual([email]);
  expect(mail!.subject).toBe(`Your Orderly order ${orderId.slice(0, 8).toUpperCase()} is confirmed`);
  expect(mail!.messageId).toBe(`<order-${orderId}.order_confirmed.g0@orderly.local>`);
  expect(mail!.parsed.from?.text).toContain('orders@orderly.test');
  // 2 x €12.50 + €23.99 = €48.99, in both the text and the HTML part
  expect(mail!.parsed.text).toContain('2 x Espresso Cup');
  expect(mail!.parsed.text).toContain('€25.00');
  expect(mail!.parsed.text).toContain('Total: €48.99');
  expect(mail!.parsed.html).toContain('<strong>€48.99</strong>');
  expect(mail!.parsed.html).toContain('Espresso Cup');

  const [row] = await rowsFor(h.db.db, orderId);
  expect(row).toMatchObject({
    kind: 'order_confirmed',
    channel: 'email',
    recipient: email,
    status: 'sent',
    attempts: 1,
    generation: 0,
    messageId: mail!.messageId,
  });
  expect(row!.sentAt).toBeInstanceOf(Date);
  expect(row!.providerMessageId).toMatch(/queued as/);
  const sent = (await eventsFor(h.db.db, orderId)).filter((e) => e.type === 'notification.sent');
  expect(sent).toHaveLength(1);
  expect(sent[0]!.data).toMatchObject({
    kind: 'order_confirmed',
    channel: 'email',
    generation: 0,
    messageId: mail!.messageId,
  });
});

test('running the same notification again sends nothing: the row is already sent', async () => {
  const { orderId } = await seedOrder(h.db.db);
  await runNotify(h, orderId);
  const again = await runNotify(h, orderId);
  expect(again).toEqual({ email: 'already_sent' });
  expect(smtp.for(orderId)).toHaveLength(1);
  expect((await eventsFor(h.db.db, orderId)).filter((e) => e.type === 'notification.sent')).toHaveLength(1);
});

test('SMTP down while sending: the activity retries and exactly one copy arrives once the server is back', async () => {
  const { orderId } = await seedOrder(h.db.db);
  await smtp.stop();
  const run = runNotify(h, orderId);
  // Wait until at least one attempt has failed against the stopped server and left its error on the row.
  const [row] = await waitFor(
    'a failed attempt on the row',
    () => rowsFor(h.db.db, orderId),
    (rows) => Boolean(rows[0]?.lastError),
    20_000,
  );
  expect(row).toMatchObject({ status: 'pending' });
  expect(row!.lastError).toMatch(/ECONNREFUSED|connect/i);
  await smtp.start();
  await expect(run).resolves.toEqual({ email: 'sent' });
  expect(smtp.for(orderId)).toHaveLength(1);
  const [done] = await rowsFor(h.db.db, orderId);
  expect(done!.status).toBe('sent');
  expect(done!.attempts).toBeGreaterThanOrEqual(2);
  expect(done!.lastError).toBeNull();
});

test('a permanent SMTP refusal is not retried: the row is failed, notification.failed is recorded, the order is untouched', async () => {
  const { orderId } = await seedOrder(h.db.db);
  const [before] = await h.db.db.select().from(orders).where(eq(orders.id, orderId));
  smtp.rejectCode = 550;
  await expect(runNotify(h, orderId)).resolves.toEqual({ email: 'failed' });
  const [row] = await rowsFor(h.db.db, orderId);
  expect(row).toMatchObject({ status: 'failed', attempts: 1 });
  expect(row!.lastError).toMatch(/550/);
  const failed = (await eventsFor(h.db.db, orderId)).filter((e) => e.type === 'notification.failed');
  expect(failed).toHaveLength(1);
  expect(failed[0]!.data).toMatchObject({ kind: 'order_confirmed', channel: 'email' });
  const [after] = await h.db.db.select().from(orders).where(eq(orders.id, orderId));
  expect(after).toEqual(before);
  expect(smtp.for(orderId)).toHaveLength(0);
});

test('a notification for an order that does not exist completes without sending', async () => {
  await expect(runNotify(h, '00000000-0000-4000-8000-000000000000')).resolves.toEqual({});
});
