/**
 * The benchmark's ceiling: a workflow that runs as many no-op activities, in the same order, as a successful checkout
 * runs (its five order steps, then planning and sending the confirmation email on one channel).
 */
import { proxyActivities } from '@temporalio/workflow';

const { noop } = proxyActivities<{ noop(step: string): Promise<void> }>({ startToCloseTimeout: '10s' });

/** The checkout's five order steps, then the confirmation email's two (one channel: email). */
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
