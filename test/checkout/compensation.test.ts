/** Capture failures reach the compensations: the provider is asked what happened, then the charge is voided or refunded. */
import { ApplicationFailure } from '@temporalio/common';
import { eq } from 'drizzle-orm';
import { products } from '../../db/schema';
import { createPaymentActivities } from '../../activities/payments/activities';
import type { Harness } from '../support/harness';
import {
  checkoutSuite,
  events,
  maybeRecordHistory,
  placeOrder,
  sandboxPaymentOf,
  seedProduct,
  shopper,
  waitForStatus,
  waitForWorkflowDone,
} from './helpers';

let h: Harness;
/** How the injected capture misbehaves for the next order. */
let captureMode: 'lost-answer' | 'refused' = 'lost-answer';

const book = checkoutSuite(
  {
    env: { CANCELLATION_WINDOW: '1s' },
    activities: (deps) => {
      const real = createPaymentActivities(deps);
      return {
        // Only the capture is replaced, to reach a path the sandbox cannot: retries exhausted around it.
        async capturePayment(input: { orderId: string; workflowId: string }) {
          if (captureMode === 'lost-answer') await real.capturePayment(input);
          throw ApplicationFailure.nonRetryable(`capture failed (${captureMode})`, 'CaptureFailed');
        },
      };
    },
  },
  (started) => (h = started),
);

const stockOf = async (id: string) => (await h.db.db.select().from(products).where(eq(products.id, id)))[0]!.stock;

test('a capture that went through but whose answer was lost is found at the provider and refunded; stock back', async () => {
  captureMode = 'lost-answer';
  const who = await shopper(h);
  const p = await seedProduct(h, book, { stock: 2 });
  const orderId = await placeOrder(h, who, p);
  const row = await waitForStatus(h, orderId, ['failed']);
  expect(row).toMatchObject({ failureReason: 'checkout_error', paymentStatus: 'refunded' });
  await waitForWorkflowDone(h, orderId);
  expect(await sandboxPaymentOf(h, orderId)).toMatchObject({
    status: 'refunded',
    capturedCents: 1999,
    refundedCents: 1999,
  });
  expect(await stockOf(p)).toBe(2);
  const types = await events(h, orderId);
  // Newest first: the payment is reversed before the stock is released, and the order closes last.
  expect(types.indexOf('payment.refunded')).toBeLessThan(types.indexOf('inventory.released'));
  expect(types.indexOf('inventory.released')).toBeLessThan(types.indexOf('order.failed'));
  expect(types).not.toContain('order.confirmed');
  await maybeRecordHistory(h, orderId, 'capture-failure-refund');
});

test('a capture refused before reaching the provider leaves an authorization, which is voided', async () => {
  captureMode = 'refused';
  const who = await shopper(h);
  const p = await seedProduct(h, book, { stock: 2 });
  const orderId = await placeOrder(h, who, p);
  expect(await waitForStatus(h, orderId, ['failed'])).toMatchObject({ paymentStatus: 'voided' });
  await waitForWorkflowDone(h, orderId);
  expect(await sandboxPaymentOf(h, orderId)).toMatchObject({ status: 'voided', capturedCents: 0 });
  expect(await stockOf(p)).toBe(2);
  await maybeRecordHistory(h, orderId, 'capture-failure-void');
});
