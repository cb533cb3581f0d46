/**
 * A compensation never loops on a permanent error: when its activity meets a data error the database will raise on
 * every attempt, it ends after one, the failure is recorded on the order's timeline for an operator, the other
 * compensations still run, and the cancel that started them answers.
 */
import { sql } from 'drizzle-orm';
import { withDataErrorsPermanent } from '../../activities/data-errors';
import { orderEvents } from '../../db/schema';
import { startHarness, type Harness } from '../support/harness';
import { events, placeOrder, sandboxPaymentOf, seedProduct, shopper, waitForStatus } from '../checkout/helpers';

let h: Harness;
let releases = 0;
beforeAll(async () => {
  h = await startHarness({
    // releaseInventory as createActivities wires it, meeting a real data error (22P02) on every attempt.
    activities: (deps) =>
      withDataErrorsPermanent({
        releaseInventory: async (_input: { orderId: string; reason: string }) => {
          releases++;
          await deps.db.execute(sql`select ${'not a number'}::int`);
        },
      }),
  });
});
afterAll(async () => {
  await h?.close();
});

test('a cancel whose release meets a data error answers, records compensation.failed, and still voids', async () => {
  const who = await shopper(h);
  const productId = await seedProduct(h, new Map(), { stock: 3 });
  const orderId = await placeOrder(h, who, productId, 'tok_threeDSecureRequired');
  await waitForStatus(h, orderId, ['awaiting_payment']);

  const started = Date.now();
  const res = await h.call('POST', `/orders/${orderId}/cancel`, { token: who.token, body: { reason: 'too slow' } });
  expect(res).toMatchObject({ status: 200, body: { status: 'cancelled' } });
  // One attempt, not 60 over 85 minutes (the first retry alone would wait 1 s).
  expect(releases).toBe(1);
  expect(Date.now() - started).toBeLessThan(15_000);

  expect(await events(h, orderId)).toEqual(expect.arrayContaining(['compensation.failed', 'order.cancelled']));
  const [failed] = await h.db.db
    .select({ data: orderEvents.data })
    .from(orderEvents)
    .where(sql`${orderEvents.orderId} = ${orderId} and ${orderEvents.type} = 'compensation.failed'`);
  expect(failed?.data).toMatchObject({
    compensation: 'releaseInventory',
    reason: 'too slow',
    error: expect.stringContaining('SQLSTATE 22P02'),
  });
  expect(await sandboxPaymentOf(h, orderId)).toMatchObject({ status: 'voided' });
});
