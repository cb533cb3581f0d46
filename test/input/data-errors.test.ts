/**
 * The workflow never receives input its activities cannot store, and a data error in an activity is not retried: a
 * cancel reason PostgreSQL would refuse is refused by the Update (and made storable when it comes as a signal), and
 * the cancel answers at once instead of waiting on a compensation that retries for an hour.
 */
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { eq } from 'drizzle-orm';
import { createActivities } from '../../activities';
import { CANCEL_SIGNAL, CANCEL_UPDATE, DATA_REJECTED, checkoutWorkflowId, type CheckoutStatus } from '../../contract';
import { orders, products } from '../../db/schema';
import type { Harness } from '../support/harness';
import {
  checkoutSuite,
  placeOrder,
  sandboxPaymentOf,
  seedProduct,
  shopper,
  waitForQuery,
  waitForStatus,
} from '../checkout/helpers';

let h: Harness;
const book = checkoutSuite({ env: { CANCELLATION_WINDOW: '2s' } }, (started) => (h = started));

const handleOf = (orderId: string) => h.client.workflow.getHandle(checkoutWorkflowId(orderId));
const stockOf = async (id: string) => (await h.db.db.select().from(products).where(eq(products.id, id)))[0]!.stock;

async function awaitingPayment(): Promise<{ orderId: string; productId: string }> {
  const who = await shopper(h);
  const productId = await seedProduct(h, book, { stock: 5 });
  const orderId = await placeOrder(h, who, productId, 'tok_threeDSecureRequired');
  await waitForStatus(h, orderId, ['awaiting_payment']);
  await waitForQuery<CheckoutStatus>(handleOf(orderId), 'status', 'awaiting_payment', (s) => s.cancellable);
  return { orderId, productId };
}

test('an activity whose write PostgreSQL refuses fails non-retryable DataRejected, naming the SQLSTATE', async () => {
  const { orderId } = await awaitingPayment();
  const failure = await createActivities(h.deps)
    .closeOrder({ orderId, status: 'cancelled', reason: 'bad\u0000reason' })
    .then(
      () => undefined,
      (err: unknown) => err,
    );
  expect(failure).toBeInstanceOf(ApplicationFailure);
  expect(failure).toMatchObject({ type: DATA_REJECTED, nonRetryable: true });
  expect((failure as ApplicationFailure).message).toMatch(/SQLSTATE 22/);
  // The order was not touched; a cancel through the API still works.
  const who = await h.token('admin');
  const res = await h.call('POST', `/orders/${orderId}/cancel`, { token: who, body: { reason: 'changed my mind' } });
  expect(res).toMatchObject({ status: 200, body: { status: 'cancelled' } });
});

test('the cancel Update refuses a reason the database cannot store; the order stays cancellable', async () => {
  const { orderId, productId } = await awaitingPayment();
  const update = handleOf(orderId).executeUpdate(CANCEL_UPDATE, { args: [{ reason: 'nope\u0000' }] });
  await expect(update).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
  await expect(update).rejects.toMatchObject({ cause: { message: expect.stringContaining('control characters') } });
  const status = await handleOf(orderId).query<CheckoutStatus>('status');
  expect(status).toMatchObject({ status: 'awaiting_payment', cancellable: true });
  const res = await h.call('POST', `/orders/${orderId}/cancel`, { token: await h.token('admin') });
  expect(res).toMatchObject({ status: 200, body: { status: 'cancelled' } });
  expect(await stockOf(productId)).toBe(5);
});

test('a cancel signal with such a reason cancels promptly: voided, restocked, the reason stored with U+FFFD', async () => {
  const { orderId, productId } = await awaitingPayment();
  await handleOf(orderId).signal(CANCEL_SIGNAL, { reason: 'gone\u0000\ud800' });
  const row = await waitForStatus(h, orderId, ['cancelled'], 20_000);
  expect(row?.failureReason).toBe('gone\ufffd\ufffd');
  expect(await sandboxPaymentOf(h, orderId)).toMatchObject({ status: 'voided' });
  expect(await stockOf(productId)).toBe(5);
  const [stored] = await h.db.db.select().from(orders).where(eq(orders.id, orderId));
  expect(stored?.status).toBe('cancelled');
});
