/** The benchmark's ceiling: a workflow that runs as many no-op activities, in the same order, as a checkout does. */
import { proxyActivities } from '@temporalio/workflow';

const { noop } = proxyActivities<{ noop(step: string): Promise<void> }>({ startToCloseTimeout: '10s' });

/** createOrder, reserveInventory, authorizePayment, capturePayment, confirmOrder. */
export const CHECKOUT_ACTIVITY_STEPS = ['createOrder', 'reserveInventory', 'authorizePayment', 'capturePayment', 'confirmOrder'];

export async function bareCheckout(): Promise<void> {
  for (const step of CHECKOUT_ACTIVITY_STEPS) await noop(step);
}
