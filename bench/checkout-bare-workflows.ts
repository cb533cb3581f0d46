/**
 * The checkout bench's references: workflows that run as many no-op activities, in the same order, as a successful
 * checkout runs (its five order steps, then planning and sending the confirmation email on one channel), and nothing
 * else. `bareCheckout` runs them as regular activities (the ceiling the checkout was first measured against);
 * `bareLocalCheckout` as local activities (the floor of the checkout's current design: no work, no window, no
 * search attributes).
 */
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';

type Noop = { noop(step: string): Promise<void> };
const regular = proxyActivities<Noop>({ startToCloseTimeout: '10s' });
const local = proxyLocalActivities<Noop>({ startToCloseTimeout: '10s' });

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
  for (const step of CHECKOUT_ACTIVITY_STEPS) await regular.noop(step);
}

export async function bareLocalCheckout(): Promise<void> {
  for (const step of CHECKOUT_ACTIVITY_STEPS) await local.noop(step);
}
