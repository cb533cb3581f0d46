/** The payment provider seam: what the checkout needs from a card processor, shaped after Stripe's PaymentIntents. */

export type ProviderPaymentStatus = 'requires_action' | 'authorized' | 'captured' | 'voided' | 'refunded' | 'declined';

export interface ProviderPayment {
  id: string;
  status: ProviderPaymentStatus;
  amountCents: number;
  currency: string;
  capturedCents: number;
  refundedCents: number;
  declineCode?: string;
}

export interface AuthorizeRequest {
  /** Same key, same payment: a retried call never charges twice. */
  idempotencyKey: string;
  token: string;
  amountCents: number;
  currency: string;
}

export interface PaymentProvider {
  readonly name: string;
  /** Throws PaymentDeclinedError (permanent) or any other error (transient, safe to retry with the same key). */
  authorize(req: AuthorizeRequest): Promise<ProviderPayment>;
  /** Completes a payment that required customer action (3-D Secure), once the provider told us it succeeded. */
  confirm(req: { paymentId: string }): Promise<ProviderPayment>;
  capture(req: { paymentId: string; idempotencyKey: string }): Promise<ProviderPayment>;
  void(req: { paymentId: string; idempotencyKey: string }): Promise<ProviderPayment>;
  refund(req: { paymentId: string; idempotencyKey: string }): Promise<ProviderPayment>;
  /** What the provider knows about the payment authorized with this key, or null: asked before compensating. */
  retrieve(authorizeIdempotencyKey: string): Promise<ProviderPayment | null>;
}

/** The card was refused: retrying cannot help. */
export class PaymentDeclinedError extends Error {
  constructor(
    readonly code: string,
    readonly paymentId: string,
  ) {
    super(`payment declined: ${code}`);
    this.name = 'PaymentDeclinedError';
  }
}

/** The operation is not allowed in the payment's current state (e.g. capturing a voided payment). */
export class PaymentStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PaymentStateError';
  }
}
