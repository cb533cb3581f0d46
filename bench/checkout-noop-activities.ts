/**
 * BENCH_ACTIVITIES=noop: the checkout's activities after createOrder replaced by no-ops that answer what the workflow
 * expects, so the bench measures the checkout's design (HTTP path, workflow, the same seven activities and the window
 * timer) with almost none of the work. createOrder stays real: its order row is what the API's idempotency check and
 * the timeline hang on. The last one records `notification.sent`, which is how the bench sees completion.
 * Only for the benchmark: it splits the gap to the ceiling into design cost and work cost.
 */
import type { Activities } from '../activities';
import type { Db } from '../db/client';
import { recordEvent } from '../db/events';

export function noopCheckoutActivities(db: Db): Partial<Activities> {
  return {
    reserveInventory: async () => ({ lines: 1 }),
    authorizePayment: async () => ({ paymentId: 'noop', state: 'authorized' as const }),
    capturePayment: async () => {},
    confirmOrder: async () => {},
    planOrderNotification: async () => ['email' as const],
    sendOrderNotification: async (input) => {
      await recordEvent(db, { orderId: input.orderId, type: 'notification.sent' });
      return { decision: 'send' as const, messageId: null };
    },
  };
}
