/** The `status` query as an operator sees it with `temporal workflow query --name status`. */
import { STATUS_QUERY, checkoutWorkflowId, type CheckoutStatus } from '../../contract';
import type { Harness } from '../support/harness';
import {
  checkoutBody,
  checkoutSuite,
  postCheckout,
  seedCart,
  seedProduct,
  shopper,
  waitForQuery,
  waitForStatus,
} from './helpers';

let h: Harness;

const book = checkoutSuite(
  { env: { CANCELLATION_WINDOW: '1h', PAYMENT_CONFIRMATION_TIMEOUT: '10m' } },
  (started) => (h = started),
);

const query = (orderId: string) =>
  h.client.workflow.getHandle(checkoutWorkflowId(orderId)).query<CheckoutStatus>(STATUS_QUERY);

test('the deadline is the payment deadline while waiting, then the end of the cancellation window', async () => {
  const who = await shopper(h);
  const p = await seedProduct(h, book, { stock: 3, priceCents: 900 });
  const cartId = await seedCart(h, who.id, [{ productId: p, quantity: 1 }]);
  const res = await postCheckout(h, who, checkoutBody(cartId, 'tok_threeDSecureRequired'));
  const { orderId } = res.body;
  await waitForStatus(h, orderId, ['awaiting_payment']);
  const waiting = await query(orderId);
  expect(waiting).toMatchObject({ status: 'awaiting_payment', paymentState: 'requires_action', cancellable: true });
  const paymentDeadline = Date.parse(waiting.deadline!);
  expect(Math.abs(paymentDeadline - (Date.now() + 10 * 60_000))).toBeLessThan(60_000);

  await h.client.workflow.getHandle(checkoutWorkflowId(orderId)).signal('paymentConfirmed', {});
  await waitForStatus(h, orderId, ['confirmed']);
  const inWindow = await waitForQuery<CheckoutStatus>(
    h.client.workflow.getHandle(checkoutWorkflowId(orderId)),
    STATUS_QUERY,
    'the cancellation window',
    (s) => s.step === 'cancellation_window',
    5_000,
  );
  expect(inWindow).toMatchObject({ status: 'confirmed', paymentState: 'captured', cancellable: true });
  expect(Math.abs(Date.parse(inWindow.deadline!) - (Date.now() + 3_600_000))).toBeLessThan(60_000);

  // End the workflow (refund) so nothing is left running on the shared server.
  const cancel = await h.call('POST', `/orders/${orderId}/cancel`, { token: who.token, body: {} });
  expect(cancel.status).toBe(200);
  await waitForStatus(h, orderId, ['cancelled']);
});
