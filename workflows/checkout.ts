/**
 * checkout: one order from cart to confirmed (or cleanly undone). Snapshot the cart, hold stock, authorize, wait for
 * confirmation when the card asks for it, capture, confirm, notify (beside the order, see `notify` below); then stay
 * cancellable for the refund window.
 * Every step's compensation is registered before the step; a failed step, a cancel (before or inside the refund window,
 * by the API or by a Temporal cancellation) all run them through one routine (workflows/compensations.ts). Only
 * activity failures and the workflow's own aborts compensate: any other error is a bug and fails the workflow task.
 */
import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  TemporalFailure,
  allHandlersFinished,
  condition,
  defineQuery,
  defineSignal,
  defineUpdate,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { Compensations, type CompensationName } from './compensations';
import { OrderIndex } from './order-index';
import { proxyLocalSteps } from './local-activities';
import { notifyCustomer } from './notify-customer';
import {
  CANCEL_SIGNAL,
  CANCEL_UPDATE,
  DEFAULT_ORDER_STUCK_AFTER,
  INVALID_CART,
  LOCAL_STEPS_VERSION,
  OUT_OF_STOCK,
  PAYMENT_CONFIRMED_SIGNAL,
  PAYMENT_FAILED_SIGNAL,
  PAYMENT_DECLINED,
  RETRY_COMPENSATIONS_UPDATE,
  SEARCH_ATTRIBUTES_VERSION,
  STATUS_QUERY,
  durationMs,
  storableText,
  textProblem,
  type CancelRequest,
  type CheckoutInput,
  type CheckoutResult,
  type CheckoutStatus,
  type CheckoutStep,
  type NotificationKind,
  type OrderStatus,
  type PaymentState,
} from '../contract';

// ---- Retry and timeout presets: every policy the checkout uses, in one place (docs/checkout.md, "Retries and timeouts"). ----

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
const undo = proxyActivities<Acts>(COMPENSATION);

/**
 * The forward steps' activities. With `waitOnCancel`, a Temporal cancellation that arrives while a step runs waits for
 * that step to end before the compensations start, so that they undo what it did (a hold or an authorization made
 * after the release or the void had run would be left behind). Checkouts before SEARCH_ATTRIBUTES_VERSION (TRY_CANCEL)
 * replay as they ran.
 *
 * With `local` (LOCAL_STEPS_VERSION on) they are local activities: the worker runs them inside the workflow task and
 * records each result as a marker, so the steps up to the cancellation window cost one workflow task instead of a
 * server round trip each. The presets keep their meaning: each attempt's timeout, the backoff and the attempts are the
 * same; a backoff up to LOCAL_RETRY_THRESHOLD (5 s) waits in the worker, a longer one on a server timer. A step is
 * idempotent either way (a worker that dies mid-task makes the next one run it again, as a regular activity's retry
 * would): payment calls carry their idempotency keys (workflow id plus step).
 */
function stepActivities(waitOnCancel: boolean, local: boolean) {
  const cancellation: ActivityOptions = waitOnCancel
    ? { cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED }
    : {};
  const proxy = (preset: ActivityOptions) =>
    local
      ? proxyLocalSteps<Acts>({ ...preset, ...cancellation })
      : proxyActivities<Acts>({ ...preset, ...cancellation });
  return { orderActs: proxy(ORDER_WRITE), stockActs: proxy(STOCK), paymentActs: proxy(PAYMENT) };
}

export const statusQuery = defineQuery<CheckoutStatus>(STATUS_QUERY);
export const paymentConfirmedSignal = defineSignal<[{ paymentId?: string }?]>(PAYMENT_CONFIRMED_SIGNAL);
export const paymentFailedSignal = defineSignal<[{ paymentId?: string; declineCode?: string }?]>(PAYMENT_FAILED_SIGNAL);
export const cancelSignal = defineSignal<[CancelRequest?]>(CANCEL_SIGNAL);
export const cancelUpdate = defineUpdate<CheckoutStatus, [CancelRequest]>(CANCEL_UPDATE);
export const retryCompensationsUpdate = defineUpdate<CheckoutStatus, []>(RETRY_COMPENSATIONS_UPDATE);

/**
 * Patch id of the guarded compensation path. A checkout whose history was recorded before it ran a path that changed
 * (a bug compensated, a compensation that ran out of retries, a Temporal cancel in the refund window) replays the old
 * way; every checkout that reaches one of those paths now takes the new way. Checked only on those paths, so the
 * common paths record no marker.
 */
export const GUARDED_COMPENSATION_PATCH = 'guarded-compensation';

/** failureReason of an order whose checkout was cancelled through Temporal (`temporal workflow cancel`). */
export const CANCELLED_BY_OPERATOR = 'cancelled_by_operator';

/** Steps at which a failure is the payment's: the customer is told the payment did not go through. */
const PAYMENT_STEPS: readonly CheckoutStep[] = ['authorizing_payment', 'awaiting_payment', 'capturing_payment'];

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

function failureType(err: ActivityFailure): string | undefined {
  return err.cause instanceof ApplicationFailure ? (err.cause.type ?? undefined) : undefined;
}

/**
 * Maps what interrupted the checkout at `step` to how the order ends and which notification the customer gets; undefined
 * for anything that is neither an activity failure nor one of the workflow's own aborts or cancellations (a bug).
 */
function abortFor(err: unknown, step: CheckoutStep): Abort | undefined {
  if (err instanceof Abort) return err;
  if (isCancellation(err)) return new Abort('cancelled', CANCELLED_BY_OPERATOR, 'order_cancelled');
  if (!(err instanceof ActivityFailure)) return undefined;
  switch (failureType(err)) {
    case OUT_OF_STOCK:
      return new Abort('failed', 'out_of_stock', 'order_cancelled');
    case PAYMENT_DECLINED: {
      const cause = err.cause as ApplicationFailure;
      const code = (cause.details?.[0] as { code?: string } | undefined)?.code ?? 'declined';
      return new Abort('failed', `payment_declined:${code}`, 'payment_failed');
    }
    case INVALID_CART:
      return new Abort('failed', 'invalid_cart', 'order_cancelled');
    default:
      // A step that ran out of retries: the payment's own steps failed the payment; any other failed the order.
      return new Abort('failed', 'checkout_error', PAYMENT_STEPS.includes(step) ? 'payment_failed' : 'order_cancelled');
  }
}

/** A non-Temporal error to rethrow, so that the SDK fails the workflow task (retried) instead of the workflow. */
function asTaskFailure(err: unknown): unknown {
  return err instanceof TemporalFailure
    ? new Error(`unexpected failure in checkout: ${err.message}`, { cause: err })
    : err;
}

export async function checkout(input: CheckoutInput): Promise<CheckoutResult> {
  const { orderId } = input;
  const workflowId = workflowInfo().workflowId;
  const ref = { orderId, workflowId };
  // Version 3 on: search attributes, the NeedsAttention timer, the wait for an operator's retry and forward steps that
  // a Temporal cancel waits for. Older inputs run (and replay) as they did: a version, unlike a patch marker, costs no
  // event and no visibility write.
  const indexed = (input.version ?? 0) >= SEARCH_ATTRIBUTES_VERSION;
  // Version 4 on: forward steps and notifications as local activities (stepActivities).
  const local = (input.version ?? 0) >= LOCAL_STEPS_VERSION;
  const index = new OrderIndex(indexed, input.customerId);
  const { orderActs, stockActs, paymentActs } = stepActivities(indexed, local);

  let status: OrderStatus = 'pending';
  let step: CheckoutStep = 'creating_order';
  let paymentState: PaymentState | null = null;
  let deadline: number | null = null;
  let failureReason: string | null = null;
  let paymentConfirmed = false;
  /** The decline code of a failed customer action (3-D Secure), while the checkout waits for it. */
  let paymentFailure: string | null = null;
  let cancelReason: string | null = null;
  let totalCents: number | null = null;
  /** The checkout did not reach its cancellation window or an end by its stuckAfter deadline. */
  let stuck = false;
  /** An operator asked for the failed compensations to run again; rounds count the retries that ran. */
  let retryRequested = false;
  let retryRounds = 0;
  // Each compensation is idempotent and records its own event on the order's timeline.
  const compensations = new Compensations<Abort>();

  const terminal = () => status === 'failed' || status === 'cancelled' || step === 'done';
  const cancellable = () => cancelReason === null && !terminal() && step !== 'compensating';
  const settled = () => step === 'cancellation_window' || step === 'done';
  const needsAttention = () => compensations.failed().length > 0 || (stuck && !settled());
  const publish = () => index.publish({ status, paymentState, totalCents, needsAttention: needsAttention() });
  const snapshot = (): CheckoutStatus => ({
    orderId,
    status,
    step,
    paymentState,
    deadline: deadline === null ? null : new Date(deadline).toISOString(),
    failureReason,
    cancellable: cancellable(),
    ...(indexed ? { needsAttention: needsAttention(), failedCompensations: compensations.failed() } : {}),
  });
  // A signal cannot be refused: a reason the database could not store is stored with U+FFFD in place of what it
  // refuses (the API and the Update's validator refuse such reasons outright).
  const requestCancel = (req?: CancelRequest) => {
    if (cancellable())
      cancelReason = typeof req?.reason === 'string' ? storableText(req.reason) : 'cancelled_by_customer';
  };

  setHandler(statusQuery, snapshot);
  // Early or repeated confirmations are kept: the wait below sees the flag whenever it gets there.
  setHandler(paymentConfirmedSignal, () => void (paymentConfirmed = true));
  // No history before this signal existed received it, so those replay unchanged; the first failure is kept.
  setHandler(paymentFailedSignal, (failed) => {
    paymentFailure ??= storableText(failed?.declineCode || 'authentication_failed');
  });
  setHandler(cancelSignal, requestCancel);
  setHandler(
    cancelUpdate,
    async (req) => {
      requestCancel(req);
      await condition(terminal);
      return snapshot();
    },
    {
      validator: (req: CancelRequest) => {
        if (!cancellable())
          throw new Error(`order ${orderId} can no longer be cancelled (status ${status}, step ${step})`);
        const problem = typeof req?.reason === 'string' ? textProblem(req.reason) : undefined;
        if (problem) throw new Error(`the cancel reason ${problem}`);
      },
    },
  );

  setHandler(
    retryCompensationsUpdate,
    async () => {
      const round = retryRounds;
      retryRequested = true;
      await condition(() => retryRounds > round);
      return snapshot();
    },
    {
      validator: () => {
        // Older checkouts end right after their compensations: nothing would ever run the retry.
        if (!indexed || compensations.failed().length === 0 || retryRequested)
          throw new Error(`order ${orderId} has no failed compensation waiting for a retry`);
      },
    },
  );

  // An order that has not reached its cancellation window or an end by this deadline is stuck (a step retrying for
  // long, a compensation that keeps failing): NeedsAttention until it gets there. A timer, cancelled once it does.
  if (indexed) {
    const stuckAfter = input.stuckAfter ?? DEFAULT_ORDER_STUCK_AFTER;
    void CancellationScope.nonCancellable(async () => {
      if (await condition(settled, durationMs(stuckAfter))) return;
      stuck = true;
      log.warn('checkout stuck past its deadline: NeedsAttention', { orderId, step, stuckAfter });
      publish();
    });
  }

  // Notifications run beside the order, never in its way: each is started and left to run (the cancellation window or
  // the payment wait goes on meanwhile), and the workflow awaits them all only before it returns. They cannot be
  // cancelled, and a failure to deliver is recorded by the notification itself, never thrown into the order.
  const notifications: Promise<void>[] = [];
  const notify = async (kind: NotificationKind): Promise<void> => {
    const sending = CancellationScope.nonCancellable(() => notifyCustomer({ orderId, kind }, { local })).then(
      () => undefined,
      (err: unknown) => {
        if (!(err instanceof ActivityFailure)) throw err;
        log.error('notification bookkeeping failed past its retries', { orderId, kind, error: String(err) });
      },
    );
    notifications.push(sending);
  };
  // After a Temporal cancellation the wait for handlers rejects at once: the execution then ends Canceled, after the
  // compensations that cancellation ran.
  const finish = async (): Promise<CheckoutResult> => {
    const settle = async () => {
      await Promise.all(notifications);
      await condition(allHandlersFinished);
    };
    // A Temporal cancel is an order cancel to the end: the execution completes with the order's outcome. Before
    // SEARCH_ATTRIBUTES_VERSION these waits threw in the cancelled scope and the execution ended Canceled.
    if (indexed) await CancellationScope.nonCancellable(settle);
    else await settle();
    return { orderId, status, paymentState, failureReason };
  };
  const throwIfCancelled = () => {
    if (cancelReason !== null) throw new Abort('cancelled', cancelReason, 'order_cancelled');
  };

  /**
   * Undoes what the checkout did, newest first, and closes the order as `abort` says. A compensation that runs out of
   * retries is recorded on the order's timeline for an operator and the rest still run; the workflow does not fail.
   * A payment reversal that did not land leaves paymentState `reversal_failed`, and the customer is not told the money
   * is back: every notification the order could end with says so. From SEARCH_ATTRIBUTES_VERSION on the checkout then
   * waits, NeedsAttention, until an operator's retryCompensations has run every failed compensation again (one Update
   * per round), and tells the customer after; older checkouts end at once, and the operator who settles the payment
   * tells the customer (with the notifyOrder workflow).
   */
  const compensate = async (abort: Abort, inWindow: boolean): Promise<void> => {
    step = 'compensating';
    const onFailure = async (name: CompensationName, err: ActivityFailure): Promise<void> => {
      if (!patched(GUARDED_COMPENSATION_PATCH)) {
        // As recorded before the patch: a failure in the window failed the workflow; before it, it was only logged.
        if (inWindow) throw err;
        log.error('compensation failed', { orderId, reason: abort.reason, error: String(err) });
        return;
      }
      log.error('compensation failed past its retries; an operator must finish it', {
        orderId,
        compensation: name,
        reason: abort.reason,
        error: String(err.cause ?? err),
      });
      if (name === 'reversePayment') paymentState = 'reversal_failed';
      try {
        await orderActs.recordCompensationFailure({
          orderId,
          compensation: name,
          reason: abort.reason,
          error: String(err.cause?.message ?? err.message),
        });
      } catch (recordErr) {
        if (!(recordErr instanceof ActivityFailure)) throw recordErr;
        log.error('could not record the failed compensation', {
          orderId,
          compensation: name,
          error: String(recordErr),
        });
      }
      publish();
    };
    await compensations.runAll(abort, onFailure);
    if (abort.reason.startsWith('payment_declined') && paymentState !== 'reversal_failed') paymentState = 'failed';
    failureReason = abort.reason;
    status = abort.outcome;
    while (indexed && compensations.failed().length > 0) {
      publish();
      // The order is closed and its other compensations ran; only an operator can get this one done now.
      await CancellationScope.nonCancellable(() => condition(() => retryRequested));
      retryRequested = false;
      await compensations.retryFailed(abort, onFailure);
      retryRounds++;
    }
    step = 'done';
    publish();
    if (paymentState !== 'reversal_failed') await notify(abort.notify);
  };

  try {
    compensations.add('closeOrder', async (abort) => {
      // Closing a confirmed order (a cancel in the refund window) also says whether its money went back.
      const refunded = status === 'confirmed' ? { refunded: paymentState === 'refunded' } : {};
      await undo.closeOrder({ orderId, status: abort.outcome, reason: abort.reason, ...refunded });
    });
    const created = await orderActs.createOrder(input);
    totalCents = created.totalCents;
    publish();
    throwIfCancelled();

    step = 'reserving_inventory';
    compensations.add('releaseInventory', async (abort) => {
      await undo.releaseInventory({ orderId, reason: abort.reason });
    });
    await stockActs.reserveInventory({ orderId });
    // The hold is bounded: unconfirmed payment by this time gives the stock back.
    deadline = Date.now() + durationMs(input.paymentConfirmationTimeout);
    throwIfCancelled();

    step = 'authorizing_payment';
    compensations.add('reversePayment', async (abort) => {
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
      publish();
      await notify('payment_action_required');
      const confirmedInTime = await condition(
        () => paymentConfirmed || paymentFailure !== null || cancelReason !== null,
        Math.max(0, deadline - Date.now()),
      );
      throwIfCancelled();
      if (!paymentConfirmed && paymentFailure !== null)
        throw new Abort('failed', `payment_declined:${paymentFailure}`, 'payment_failed');
      if (!confirmedInTime) throw new Abort('failed', 'payment_confirmation_timeout', 'payment_failed');
      await paymentActs.confirmPayment(ref);
      paymentState = 'authorized';
      status = 'pending';
      publish();
    }

    step = 'capturing_payment';
    await paymentActs.capturePayment({ ...ref, paymentId: auth.paymentId });
    paymentState = 'captured';

    step = 'confirming_order';
    await orderActs.confirmOrder({ orderId });
    status = 'confirmed';
  } catch (err) {
    let abort = abortFor(err, step);
    if (!abort) {
      // A bug: fail the workflow task so that the code can be fixed and the history replayed. Histories recorded
      // before the patch compensated it as a checkout error, and replay that way.
      if (patched(GUARDED_COMPENSATION_PATCH)) throw asTaskFailure(err);
      abort = new Abort('failed', 'checkout_error', 'payment_failed');
    }
    if (!(err instanceof Abort))
      log.warn('checkout step failed, compensating', { orderId, step, reason: abort.reason, error: String(err) });
    if (isCancellation(err)) cancelReason ??= abort.reason;
    await compensate(abort, false);
    return finish();
  }

  await notify('order_confirmed');

  // Within the window a cancel refunds and restocks; after it the order is final.
  step = 'cancellation_window';
  // The status query's deadline is the current wait's: now the end of the window for a cancel with refund.
  deadline = Date.now() + durationMs(input.cancellationWindow);
  publish();
  let cancelled: boolean;
  try {
    cancelled = await condition(() => cancelReason !== null, durationMs(input.cancellationWindow));
  } catch (err) {
    // A Temporal cancellation in the window is an order cancel too. (Before the patch it ended the execution as it was.)
    if (!isCancellation(err) || !patched(GUARDED_COMPENSATION_PATCH)) throw err;
    cancelReason ??= CANCELLED_BY_OPERATOR;
    cancelled = true;
  }
  if (cancelled) {
    await compensate(new Abort('cancelled', cancelReason ?? 'cancelled_by_customer', 'order_refunded'), true);
  } else {
    step = 'done';
  }
  return finish();
}
