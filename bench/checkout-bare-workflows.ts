/**
 * The benchmark's ceiling: a workflow that runs as many no-op activities, in the same order, as a checkout runs until
 * the bench counts it complete (its order confirmation email sent by the notifyOrder child workflow).
 */
import { proxyActivities } from '@temporalio/workflow';

const { noop } = proxyActivities<{ noop(step: string): Promise<void> }>({ startToCloseTimeout: '10s' });

/** The checkout workflow's five, then the two of the notifyOrder child it starts (one email channel). */
export const CHECKOUT_ACTIVITY_STEPS = [
  'createOrder',
  'reserveInventory',
  'authorizePayment',
  'capturePayment',
  'confirmOrder',
  'planOrderNotification',
  'sendOrderNotification',
];

export async function bareCheckout(): Promise<void> {
  for (const step of CHECKOUT_ACTIVITY_STEPS) await noop(step);
}
