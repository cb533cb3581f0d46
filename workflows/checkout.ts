/**
 * checkout: one order from cart to confirmed (or cleanly undone). Snapshot the cart, hold stock, authorize, wait for
 * confirmation when the card asks for it, capture, confirm, notify (beside the order, see `notify` below); then stay
 * cancellable for the refund window.
 * Every step's compensation is registered before the step and runs newest first in a non-cancellable scope.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  defineQuery,
  defineSignal,
  defineUpdate,
  log,
  proxyActivities,
  setHandler,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { notifyCustomer } from './notify-customer';
import {
  CANCEL_SIGNAL,
  CANCEL_UPDATE,
  INVALID_CART,
  OUT_OF_STOCK,
  PAYMENT_CONFIRMED_SIGNAL,
  PAYMENT_DECLINED,
  STATUS_QUERY,
  durationMs,
  type CancelRequest,
  type CheckoutInput,
  type CheckoutResult,
  type CheckoutStatus,
  type CheckoutStep,
  type NotificationKind,
  type OrderStatus,
  type PaymentState,
} from '../contract';

// ---- Retry and timeout presets: every policy the checkout uses, in one place (README "Retries and timeouts"). ----

/** Card processor calls: backoff 0.5s -> 30s, 8 attempts (at most about 5 min with timeouts); declines never retry. */
export const PAYMENT: ActivityOptions = {
  startToCloseTimeout: '30s',
  retry: {
    initialInterval: '500ms',
    backoffCoefficient: 2,
    maximumInterval: '30s',
    maximumAttempts: 8,
    nonRetryableErrorTypes: [PAYMENT_DECLINED],
  },
};
/** Stock updates: fast retries, 0.2s -> 5s, 10 attempts (at most about 2 min with timeouts); OutOfStock never retries. */
export const STOCK: ActivityOptions = {
  startToCloseTimeout: '10s',
  retry: {
    initialInterval: '200ms',
    backoffCoefficient: 2,
    maximumInterval: '5s',
    maximumAttempts: 10,
    nonRetryableErrorTypes: [OUT_OF_STOCK],
  },
};
/** Order rows and events: fast retries, 0.2s -> 5s, 10 attempts (at most about 2 min with timeouts). */
export const ORDER_WRITE: ActivityOptions = {
  startToCloseTimeout: '10s',
  retry: {
    initialInterval: '200ms',
    backoffCoefficient: 2,
    maximumInterval: '5s',
    maximumAttempts: 10,
    nonRetryableErrorTypes: [INVALID_CART],
  },
};
/** Compensations must land: 1s -> 1 min, 60 attempts (at most about 85 min) before an operator has to step in. */
export const COMPENSATION: ActivityOptions = {
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 60 },
};

type Acts = ReturnType<typeof createActivities>;
const orderActs = proxyActivities<Acts>(ORDER_WRITE);
const stockActs = proxyActivities<Acts>(STOCK);
const paymentActs = proxyActivities<Acts>(PAYMENT);
const undo = proxyActivities<Acts>(COMPENSATION);

export const statusQuery = defineQuery<CheckoutStatus>(STATUS_QUERY);
export const paymentConfirmedSignal = defineSignal<[{ paymentId?: string }?]>(PAYMENT_CONFIRMED_SIGNAL);
export const cancelSignal = defineSignal<[CancelRequest?]>(CANCEL_SIGNAL);
export const cancelUpdate = defineUpdate<CheckoutStatus, [CancelRequest]>(CANCEL_UPDATE);

/** Thrown inside the workflow to leave the happy path; carries the outcome the compensations end in. */
class Abort extends Error {
  constructor(
    readonly outcome: 'failed' | 'cancelled',
    readonly reason: string,
    readonly notify: NotificationKind,
  ) {
    super(reason);
  }
}

function failureType(err: unknown): string | undefined {
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) return err.cause.type ?? undefined;
  return undefined;
}

/** Maps a step failure to how the order ends and which notification the customer gets. */
function abortFor(err: unknown): Abort {
  if (err instanceof Abort) return err;
  switch (failureType(err)) {
    case OUT_OF_STOCK:
      return new Abort('failed', 'out_of_stock', 'order_cancelled');
    case PAYMENT_DECLINED: {
      const cause = (err as ActivityFailure).cause as ApplicationFailure;
      const code = (cause.details?.[0] as { code?: string } | undefined)?.code ?? 'declined';
      return new Abort('failed', `payment_declined:${code}`, 'payment_failed');
    }
    case INVALID_CART:
      return new Abort('failed', 'invalid_cart', 'order_cancelled');
    default:
      return new Abort('failed', 'checkout_error', 'payment_failed');
  }
}

export async function checkout(input: CheckoutInput): Promise<CheckoutResult> {
  const { orderId } = input;
  const workflowId = workflowInfo().workflowId;
  const ref = { orderId, workflowId };

  let status: OrderStatus = 'pending';
  let step: CheckoutStep = 'creating_order';
  let paymentState: PaymentState | null = null;
  let deadline: number | null = null;
  let failureReason: string | null = null;
  let paymentConfirmed = false;
  let cancelReason: string | null = null;

  const terminal = () => status === 'failed' || status === 'cancelled' || step === 'done';
  const cancellable = () => cancelReason === null && !terminal() && step !== 'compensating';
  const snapshot = (): CheckoutStatus => ({
    orderId,
    status,
    step,
    paymentState,
    deadline: deadline === null ? null : new Date(deadline).toISOString(),
    failureReason,
    cancellable: cancellable(),
  });
  const requestCancel = (req?: CancelRequest) => {
    if (cancellable()) cancelReason = req?.reason ?? 'cancelled_by_customer';
  };

  setHandler(statusQuery, snapshot);
  // Early or repeated confirmations are kept: the wait below sees the flag whenever it gets there.
  setHandler(paymentConfirmedSignal, () => void (paymentConfirmed = true));
  setHandler(cancelSignal, requestCancel);
  setHandler(
    cancelUpdate,
    async (req) => {
      requestCancel(req);
      await condition(terminal);
      return snapshot();
    },
    {
      validator: (_req: CancelRequest) => {
        if (!cancellable())
          throw new Error(`order ${orderId} can no longer be cancelled (status ${status}, step ${step})`);
      },
    },
  );

  // Notifications run beside the order, never in its way: each is started and left to run (the cancellation window or
  // the payment wait goes on meanwhile), and the workflow awaits them all only before it returns. They cannot be
  // cancelled, and a failure to deliver is recorded by the notification itself, never thrown into the order.
  const notifications: Promise<void>[] = [];
  const notify = async (kind: NotificationKind): Promise<void> => {
    const sending = CancellationScope.nonCancellable(() => notifyCustomer({ orderId, kind })).then(
      () => undefined,
      (err: unknown) => {
        if (!(err instanceof ActivityFailure)) throw err;
        log.error('notification bookkeeping failed past its retries', { orderId, kind, error: String(err) });
      },
    );
    notifications.push(sending);
  };
  const finish = async (): Promise<CheckoutResult> => {
    await Promise.all(notifications);
    await condition(allHandlersFinished);
    return { orderId, status, paymentState, failureReason };
  };
  const throwIfCancelled = () => {
    if (cancelReason !== null) throw new Abort('cancelled', cancelReason, 'order_cancelled');
  };

  // Compensations, newest last; each is idempotent and records its own event.
  const compensations: Array<(abort: Abort) => Promise<void>> = [];

  try {
    compensations.push(async (abort) => {
      await undo.closeOrder({ orderId, status: abort.outcome, reason: abort.reason });
    });
    const created = await orderActs.createOrder(input);
    throwIfCancelled();

    step = 'reserving_inventory';
    compensations.push(async (abort) => {
      await undo.releaseInventory({ orderId, reason: abort.reason });
    });
    await stockActs.reserveInventory({ orderId });
    // The hold is bounded: unconfirmed payment by this time gives the stock back.
    deadline = Date.now() + durationMs(input.paymentConfirmationTimeout);
    throwIfCancelled();

    step = 'authorizing_payment';
    compensations.push(async (abort) => {
      const reversed = await undo.reversePayment({ ...ref, reason: abort.reason });
      if (reversed) paymentState = reversed;
    });
    const amount = { totalCents: created.totalCents, currency: created.currency };
    const auth = await paymentActs.authorizePayment({ ...ref, token: input.request.payment.token, amount });
    paymentState = auth.state;
    throwIfCancelled();

    if (auth.state === 'requires_action') {
      step = 'awaiting_payment';
      status = 'awaiting_payment';
      await notify('payment_action_required');
      const confirmedInTime = await condition(
        () => paymentConfirmed || cancelReason !== null,
        Math.max(0, deadline - Date.now()),
      );
      throwIfCancelled();
      if (!confirmedInTime) throw new Abort('failed', 'payment_confirmation_timeout', 'payment_failed');
      await paymentActs.confirmPayment(ref);
      paymentState = 'authorized';
      status = 'pending';
    }

    step = 'capturing_payment';
    await paymentActs.capturePayment({ ...ref, paymentId: auth.paymentId });
    paymentState = 'captured';

    step = 'confirming_order';
    await orderActs.confirmOrder({ orderId });
    status = 'confirmed';
    compensations.length = 0;
  } catch (err) {
    const abort = abortFor(err);
    if (!(err instanceof Abort))
      log.warn('checkout step failed, compensating', { orderId, step, reason: abort.reason, error: String(err) });
    step = 'compensating';
    await CancellationScope.nonCancellable(async () => {
      for (const compensate of compensations.reverse()) {
        try {
          await compensate(abort);
        } catch (compErr) {
          // Bounded retries are spent: leave it to an operator, but still run the remaining compensations.
          log.error('compensation failed', { orderId, reason: abort.reason, error: String(compErr) });
        }
      }
      if (paymentState === 'authorized' || paymentState === 'requires_action') paymentState = 'voided';
      if (abort.reason.startsWith('payment_declined')) paymentState = 'failed';
      failureReason = abort.reason;
      status = abort.outcome;
      step = 'done';
      await notify(abort.notify);
    });
    return finish();
  }

  await notify('order_confirmed');

  // Within the window a cancel refunds and restocks; after it the order is final.
  step = 'cancellation_window';
  // The status query's deadline is the current wait's: now the end of the window for a cancel with refund.
  deadline = Date.now() + durationMs(input.cancellationWindow);
  const cancelled = await condition(() => cancelReason !== null, durationMs(input.cancellationWindow));
  if (cancelled) {
    const reason = cancelReason ?? 'cancelled_by_customer';
    step = 'compensating';
    await CancellationScope.nonCancellable(async () => {
      const reversed = await undo.reversePayment({ ...ref, reason });
      if (reversed) paymentState = reversed;
      await undo.releaseInventory({ orderId, reason });
      await undo.closeOrder({ orderId, status: 'cancelled', reason, refunded: reversed === 'refunded' });
      failureReason = reason;
      status = 'cancelled';
      step = 'done';
      await notify('order_refunded');
    });
  } else {
    step = 'done';
  }
  return finish();
}
