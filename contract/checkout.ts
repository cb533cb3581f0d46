/** The checkout workflow's names, ids, input and answers: what the API, the worker and the workflow agree on. */
import type { OrderStatus, PaymentState } from './orders';

export const DEFAULT_TASK_QUEUE = 'checkout';

export const CHECKOUT_WORKFLOW_TYPE = 'checkout';

/** Signal names (the CLI uses these strings: `temporal workflow signal --name paymentConfirmed`). */
export const PAYMENT_CONFIRMED_SIGNAL = 'paymentConfirmed';
/** The customer's action failed (3-D Secure refused): the checkout ends as a decline with this code. */
export const PAYMENT_FAILED_SIGNAL = 'paymentFailed';
export const CANCEL_SIGNAL = 'cancel';
/** Update name for the API's cancel (validated, answers with the resulting status). */
export const CANCEL_UPDATE = 'cancelOrder';
/**
 * Update name for an operator's retry of the compensations that ran out of retries (the checkout waits for it, with
 * NeedsAttention set): `temporal workflow update execute --name retryCompensations`.
 */
export const RETRY_COMPENSATIONS_UPDATE = 'retryCompensations';
/** Query name: `temporal workflow query --name status`. */
export const STATUS_QUERY = 'status';

/** The checkout workflow of an order; also stored on the order row (orders.workflow_id). */
export function checkoutWorkflowId(orderId: string): string {
  return `order-${orderId}`;
}

/** Application failure types the checkout raises and handles. */
export const OUT_OF_STOCK = 'OutOfStock';
export const PAYMENT_DECLINED = 'PaymentDeclined';
export const INVALID_CART = 'InvalidCart';
/** Raised by payment activities when the order or its authorization is not there (not worth a retry). */
export const ORDER_MISSING = 'OrderMissing';
export const PAYMENT_MISSING = 'PaymentMissing';
/**
 * Raised by any activity when PostgreSQL refuses the data itself (SQLSTATE class 22, or a permanent integrity
 * violation): the same input fails the same way on every attempt, so it is never retried.
 */
export const DATA_REJECTED = 'DataRejected';

/** What POST /checkout accepts (validated by the API; the workflow trusts it). */
export interface ShippingAddress {
  name: string;
  line1: string;
  line2?: string;
  city: string;
  region?: string;
  postalCode: string;
  country: string;
}

export interface CheckoutRequest {
  cartId: string;
  email: string;
  shippingAddress: ShippingAddress;
  payment: { method: 'card'; token: string };
}

/**
 * The checkout version the API stamps on the checkouts it starts (CheckoutInput.version). Where a workflow change
 * would not replay, the workflow branches on it: the input is already in every history, so unlike a patched() marker
 * this costs no extra event and no visibility write per checkout. Starting at 2:
 * - absent: started before versioned inputs. Their patch path (notify-in-checkout) was retired on 2026-11-30, when
 *   none could still be running; the workflow now runs them exactly as 2.
 * - 2: notifications in-line, no patch marker.
 * - 3 (SEARCH_ATTRIBUTES_VERSION): the order's search attributes, the NeedsAttention timer, the wait for an operator's
 *   retry of a compensation out of retries, and forward steps that a Temporal cancel waits for. Below 3 the workflow
 *   runs as version 2 did, so the histories recorded before replay.
 * - 4 (LOCAL_STEPS_VERSION): the forward steps (createOrder ... confirmOrder, confirmPayment) and the checkout's own
 *   notifications run as local activities, in the worker that runs the workflow task: a checkout's steps up to its
 *   cancellation window take one workflow task instead of one per step (docs/checkout.md, "Local activities").
 *   Below 4 they are regular activities, as recorded.
 * For the next incompatible change: bump it and branch on `input.version`. Workers must be deployed before (or with)
 * the API that starts a new version: a worker a version behind runs the new input down the old path.
 */
export const CHECKOUT_VERSION = 4;
/** The first CHECKOUT_VERSION whose checkouts publish search attributes (see CHECKOUT_VERSION). */
export const SEARCH_ATTRIBUTES_VERSION = 3;
/** The first CHECKOUT_VERSION whose forward steps and notifications run as local activities (see CHECKOUT_VERSION). */
export const LOCAL_STEPS_VERSION = 4;

/** Input of the checkout workflow: the request plus who asked and the timeouts in force when it was accepted. */
export interface CheckoutInput {
  orderId: string;
  customerId: string;
  idempotencyKey: string;
  requestHash: string;
  request: CheckoutRequest;
  /** Durations such as '15m' (PAYMENT_CONFIRMATION_TIMEOUT) and '24h' (CANCELLATION_WINDOW). */
  paymentConfirmationTimeout: string;
  cancellationWindow: string;
  /**
   * How long after it starts the checkout may take to reach its cancellation window or an end before it raises
   * NeedsAttention ('1h', ORDER_STUCK_AFTER); absent on checkouts started before it existed (DEFAULT_ORDER_STUCK_AFTER).
   */
  stuckAfter?: string;
  /**
   * CHECKOUT_VERSION of the API that started it; absent on checkouts started before versioned inputs (run as 2). The
   * workflow branches on it at SEARCH_ATTRIBUTES_VERSION and LOCAL_STEPS_VERSION.
   */
  version?: number;
}

export const CHECKOUT_STEPS = [
  'creating_order',
  'reserving_inventory',
  'authorizing_payment',
  'awaiting_payment',
  'capturing_payment',
  'confirming_order',
  'cancellation_window',
  'compensating',
  'done',
] as const;
export type CheckoutStep = (typeof CHECKOUT_STEPS)[number];

/** Answer of the `status` query. */
export interface CheckoutStatus {
  orderId: string;
  status: OrderStatus;
  step: CheckoutStep;
  paymentState: PaymentState | null;
  /** ISO end of the current wait: payment confirmation (stock held), then the cancellation window; null before. */
  deadline: string | null;
  failureReason: string | null;
  cancellable: boolean;
  /** NeedsAttention, as published; absent from checkouts started before search attributes. */
  needsAttention?: boolean;
  /** Compensations that ran out of retries and wait for an operator's retryCompensations. */
  failedCompensations?: string[];
}

/** Argument of the cancel Update and the cancel signal. */
export interface CancelRequest {
  reason?: string;
}

/** What the checkout workflow returns: business failures are results, not workflow failures. */
export interface CheckoutResult {
  orderId: string;
  status: OrderStatus;
  paymentState: PaymentState | null;
  failureReason: string | null;
}

/** Memo stored on every checkout workflow so the API can answer idempotent repeats without the database. */
export interface CheckoutMemo {
  requestHash: string;
  customerId: string;
}
