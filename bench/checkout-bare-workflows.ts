/**
 * The benchmark's ceiling: a workflow that runs as many no-op activities, in the same order, as a successful checkout
 * runs (its five order steps, then planning and sending the confirmation email on one channel).
 */
import { patched, proxyActivities, sleep } from '@temporalio/workflow';

/** A no-op activity; with `ms`, it waits that long first (an activity that does nothing but take time). */
const { noop } = proxyActivities<{ noop(step: string, ms?: number): Promise<void> }>({ startToCloseTimeout: '10s' });

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

/**
 * BENCH_DETAIL's second ceiling: the same seven no-ops plus the checkout's cancellation window, a timer started when the
 * order would be confirmed (after the fifth step) that the workflow waits out before closing. The checkout's ratio to
 * this one is the cost of its work alone; the ratio to bareCheckout also counts the window, which the product needs.
 */
export async function bareCheckoutWithWindow(windowMs: number): Promise<void> {
  for (const step of CHECKOUT_ACTIVITY_STEPS.slice(0, 5)) await noop(step);
  const window = sleep(windowMs);
  for (const step of CHECKOUT_ACTIVITY_STEPS.slice(5)) await noop(step);
  await window;
}

/**
 * BENCH_DETAIL's third ceiling: bareCheckoutWithWindow plus a patched() call where the checkout makes its own
 * (NOTIFY_IN_CHECKOUT_PATCH, before the confirmation email): a marker and a TemporalChangeVersion upsert per workflow.
 * Its rate against bareCheckoutWithWindow's is what carrying that patch costs.
 */
export async function bareCheckoutWithWindowAndPatch(windowMs: number): Promise<void> {
  for (const step of CHECKOUT_ACTIVITY_STEPS.slice(0, 5)) await noop(step);
  const window = sleep(windowMs);
  if (!patched('bench-patch')) throw new Error('a new workflow always takes the patched branch');
  for (const step of CHECKOUT_ACTIVITY_STEPS.slice(5)) await noop(step);
  await window;
}

/**
 * BENCH_DETAIL's fourth ceiling: bareCheckoutWithWindow whose no-ops each take `activityMs` (30 in the bench, about
 * what the checkout's real activities take on this machine). Its rate against bareCheckoutWithWindow's is what slow
 * activities cost Temporal and the worker, with no work done.
 */
export async function bareCheckoutWithWindowSlowActivities(windowMs: number, activityMs: number): Promise<void> {
  for (const step of CHECKOUT_ACTIVITY_STEPS.slice(0, 5)) await noop(step, activityMs);
  const window = sleep(windowMs);
  for (const step of CHECKOUT_ACTIVITY_STEPS.slice(5)) await noop(step, activityMs);
  await window;
}
