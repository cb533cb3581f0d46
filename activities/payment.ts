/** Payment activities: every provider call carries an idempotency key from the workflow id and step, and every
 * outcome lands in `payments` with its timeline event in one transaction. */
import { ApplicationFailure } from '@temporalio/common';
import { eq } from 'drizzle-orm';
import { orders, payments } from '../db/schema';
import { PAYMENT_DECLINED, type PaymentState } from '../workflows/types';
import type { ActivityDeps } from './deps';
import { recordEvent, type Tx } from './orders';
import { PaymentDeclinedError, type ProviderPayment } from './payments/provider';

export interface PaymentRef {
  orderId: string;
  workflowId: string;
}

export const paymentKey = (workflowId: string, step: 'authorize' | 'capture' | 'void' | 'refund') => `${workflowId}:${step}`;

export function createPaymentActivities(deps: ActivityDeps) {
  const { db, payments: provider } = deps;

  /** Upserts the order's payment row and mirrors the state on the order, inside the caller's transaction. */
  const savePayment = async (
    tx: Tx,
    ref: PaymentRef,
    p: { status: PaymentState; providerPaymentId?: string; amountCents: number; currency: string; failureCode?: string },
  ) => {
    const now = deps.clock();
    await tx
      .insert(payments)
      .values({
        orderId: ref.orderId,
        provider: provider.name,
        providerPaymentId: p.providerPaymentId,
        idempotencyKey: paymentKey(ref.workflowId, 'authorize'),
        status: p.status,
        amountCents: p.amountCents,
        currency: p.currency,
        failureCode: p.failureCode,
      })
      .onConflictDoUpdate({
        target: payments.orderId,
        set: { status: p.status, providerPaymentId: p.providerPaymentId, failureCode: p.failureCode ?? null, updatedAt: now },
      });
    await tx.update(orders).set({ paymentStatus: p.status, updatedAt: now }).where(eq(orders.id, ref.orderId));
  };

  const loadOrder = async (orderId: string) => {
    const [order] = await db.select().from(orders).where(eq(orders.id, orderId));
    if (!order) throw ApplicationFailure.nonRetryable(`order ${orderId} does not exist`, 'OrderMissing');
    return order;
  };

  const providerPayment = async (ref: PaymentRef): Promise<ProviderPayment> => {
    const found = await provider.retrieve(paymentKey(ref.workflowId, 'authorize'));
    if (!found) throw ApplicationFailure.nonRetryable(`no payment was authorized for ${ref.orderId}`, 'PaymentMissing');
    return found;
  };

  return {
    /** Authorizes the order total (read from the order, not trusted from the caller). */
    async authorizePayment(input: PaymentRef & { token: string }): Promise<{ paymentId: string; state: PaymentState }> {
      const order = await loadOrder(input.orderId);
      let payment: ProviderPayment;
      try {
        payment = await provider.authorize({
          idempotencyKey: paymentKey(input.workflowId, 'authorize'),
          token: input.token,
          amountCents: order.totalCents,
          currency: order.currency,
        });
      } catch (err) {
        if (!(err instanceof PaymentDeclinedError)) throw err; // transient: the retry policy asks again with the same key
        await db.transaction(async (tx) => {
          await savePayment(tx, input, {
            status: 'failed',
            providerPaymentId: err.paymentId,
            amountCents: order.totalCents,
            currency: order.currency,
            failureCode: err.code,
          });
          await recordEvent(tx, input.orderId, 'payment.failed', { code: err.code, paymentId: err.paymentId });
        });
        throw ApplicationFailure.nonRetryable(`payment declined: ${err.code}`, PAYMENT_DECLINED, { code: err.code });
      }
      const state: PaymentState = payment.status === 'requires_action' ? 'requires_action' : 'authorized';
      await db.transaction(async (tx) => {
        await savePayment(tx, input, { status: state, providerPaymentId: payment.id, amountCents: payment.amountCents, currency: payment.currency });
        if (state === 'requires_action') {
          await tx.update(orders).set({ status: 'awaiting_payment' }).where(eq(orders.id, input.orderId));
          await recordEvent(tx, input.orderId, 'payment.action_required', { paymentId: payment.id });
        } else {
          await recordEvent(tx, input.orderId, 'payment.authorized', { paymentId: payment.id, amountCents: payment.amountCents });
        }
      });
      return { paymentId: payment.id, state };
    },

    /** The customer completed 3-D Secure (webhook or operator signal): the authorization now stands. */
    async confirmPayment(input: PaymentRef): Promise<void> {
      const current = await providerPayment(input);
      const payment = await provider.confirm({ paymentId: current.id });
      await db.transaction(async (tx) => {
        await savePayment(tx, input, { status: 'authorized', providerPaymentId: payment.id, amountCents: payment.amountCents, currency: payment.currency });
        await tx.update(orders).set({ status: 'pending' }).where(eq(orders.id, input.orderId));
        await recordEvent(tx, input.orderId, 'payment.authorized', { paymentId: payment.id, amountCents: payment.amountCents, via: 'confirmation' });
      });
    },

    async capturePayment(input: PaymentRef): Promise<void> {
      const current = await providerPayment(input);
      const payment = await provider.capture({ paymentId: current.id, idempotencyKey: paymentKey(input.workflowId, 'capture') });
      await db.transaction(async (tx) => {
        await savePayment(tx, input, { status: 'captured', providerPaymentId: payment.id, amountCents: payment.amountCents, currency: payment.currency });
        await recordEvent(tx, input.orderId, 'payment.processed', { paymentId: payment.id, capturedCents: payment.capturedCents });
      });
    },

    /**
     * Compensation and refund in one: asks the provider what really happened (the last answer may have been lost),
     * then voids an authorization or refunds a capture. Returns the resulting state, or null if nothing was charged.
     */
    async reversePayment(input: PaymentRef & { reason: string }): Promise<PaymentState | null> {
      const found = await provider.retrieve(paymentKey(input.workflowId, 'authorize'));
      if (!found) return null;
      let result: ProviderPayment;
      let state: PaymentState;
      if (found.status === 'declined') return 'failed';
      if (found.status === 'captured' || found.status === 'refunded') {
        result = await provider.refund({ paymentId: found.id, idempotencyKey: paymentKey(input.workflowId, 'refund') });
        state = 'refunded';
      } else {
        result = await provider.void({ paymentId: found.id, idempotencyKey: paymentKey(input.workflowId, 'void') });
        state = 'voided';
      }
      await db.transaction(async (tx) => {
        await savePayment(tx, input, { status: state, providerPaymentId: result.id, amountCents: result.amountCents, currency: result.currency });
        await recordEvent(tx, input.orderId, state === 'refunded' ? 'payment.refunded' : 'payment.voided', {
          paymentId: result.id,
          amountCents: state === 'refunded' ? result.refundedCents : result.amountCents,
          reason: input.reason,
        });
      });
      return state;
    },
  };
}
