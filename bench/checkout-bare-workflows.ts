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
 * The checkout's shape without its work: five order steps, then the cancellation window's timer starts (the order would
 * be confirmed), the confirmation email's two steps run, and the workflow waits out the window before closing.
 * `patch` adds a patched() call where the checkout made its own before its input carried a version; `activityMs`
 * makes each no-op take that long.
 */
async function windowed(windowMs: number, opts: { patch?: boolean; activityMs?: number } = {}): Promise<void> {
  for (const step of CHECKOUT_ACTIVITY_STEPS.slice(0, 5)) await noop(step, opts.activityMs);
  const window = sleep(windowMs);
  if (opts.patch && !patched('bench-patch')) throw new Error('a new workflow always takes the patched branch');
  for (const step of CHECKOUT_ACTIVITY_STEPS.slice(5)) await noop(step, opts.activityMs);
  await window;
}

/**
 * BENCH_DETAIL's second ceiling: the same seven no-ops plus the checkout's cancellation window. The checkout's ratio
 * to this one is the cost of its work alone; the ratio to bareCheckout also counts the window, which the product needs.
 */
export const bareCheckoutWithWindow = (windowMs: number) => windowed(windowMs);

/**
 * BENCH_DETAIL's third ceiling: with the window and a patched() call (a marker and, from sdk-core, a
 * TemporalChangeVersion upsert). Its rate against bareCheckoutWithWindow's is what a patch costs each workflow that
 * records it: why checkouts branch on their input's version instead (CHECKOUT_VERSION in contract/checkout.ts).
 */
export const bareCheckoutWithWindowAndPatch = (windowMs: number) => windowed(windowMs, { patch: true });

/**
 * BENCH_DETAIL's fourth ceiling: with the window, each no-op taking `activityMs` (30 in the bench, about what the
 * checkout's real activities take on this machine). Its rate against bareCheckoutWithWindow's is what slow activities
 * cost Temporal and the worker, with no work done.
 */
export const bareCheckoutWithWindowSlowActivities = (windowMs: number, activityMs: number) =>
  windowed(windowMs, { activityMs });
