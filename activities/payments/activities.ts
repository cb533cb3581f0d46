/** Payment activities: every provider call carries an idempotency key from the workflow id and step, and every
 * outcome lands in `payments` with its timeline event in one transaction. */
import { ApplicationFailure } from '@temporalio/common';
import { eq, sql } from 'drizzle-orm';
import { orders, payments } from '../../db/schema';
import { ORDER_MISSING, PAYMENT_DECLINED, PAYMENT_MISSING, type OrderStatus, type PaymentState } from '../../contract';
import { eventCte } from '../../db/events';
import type { ActivityDeps } from '../deps';
import type { OrderSummary } from '../orders/activities';
import { PaymentDeclinedError, type ProviderPayment } from './provider';

export interface PaymentRef {
  orderId: string;
  workflowId: string;
}

/** What an order is charged: its snapshot total, as createOrder's result carries it to the workflow. */
export type OrderAmount = Pick<OrderSummary, 'totalCents' | 'currency'>;

export const paymentKey = (workflowId: string, step: 'authorize' | 'capture' | 'void' | 'refund') =>
  `${workflowId}:${step}`;

export function createPaymentActivities(deps: ActivityDeps) {
  const { db, payments: provider } = deps;

  /**
   * Upserts the order's payment row, mirrors the state (and optionally a new status) on the order and appends the
   * timeline event: one statement, so one transaction and one round trip.
   */
  const savePayment = async (
    ref: PaymentRef,
    p: {
      status: PaymentState;
      providerPaymentId?: string;
      amountCents: number;
      currency: string;
      failureCode?: string;
    },
    event: { type: string; data: Record<string, unknown> },
    orderStatus?: OrderStatus,
  ) => {
    const now = deps.clock().toISOString();
    const providerPaymentId =
      p.providerPaymentId === undefined ? sql`${payments}.provider_payment_id` : sql`excluded.provider_payment_id`;
    await db.execute(sql`
      with p as (
        insert into ${payments} (order_id, provider, provider_payment_id, idempotency_key, status, amount_cents, currency, failure_code)
        values (${ref.orderId}, ${provider.name}, ${p.providerPaymentId ?? null}, ${paymentKey(ref.workflowId, 'authorize')}, ${p.status},
                ${p.amountCents}, ${p.currency}, ${p.failureCode ?? null})
        on conflict (order_id) do update
          set status = excluded.status, provider_payment_id = ${providerPaymentId}, failure_code = excluded.failure_code, updated_at = ${now}::timestamptz),
      o as (
        update ${orders} set payment_status = ${p.status}, updated_at = ${now}::timestamptz${orderStatus ? sql`, status = ${orderStatus}` : sql``}
         where id = ${ref.orderId}),
      ${eventCte('e', { orderId: ref.orderId, ...event })}
      select 1`);
  };

  const loadOrder = async (orderId: string): Promise<OrderAmount> => {
    const [order] = await db
      .select({ totalCents: orders.totalCents, currency: orders.currency })
      .from(orders)
      .where(eq(orders.id, orderId));
    if (!order) throw ApplicationFailure.nonRetryable(`order ${orderId} does not exist`, ORDER_MISSING);
    return order;
  };

  const providerPayment = async (ref: PaymentRef): Promise<ProviderPayment> => {
    const found = await provider.retrieve(paymentKey(ref.workflowId, 'authorize'));
    if (!found) throw ApplicationFailure.nonRetryable(`no payment was authorized for ${ref.orderId}`, PAYMENT_MISSING);
    return found;
  };

  return {
    /**
     * Authorizes the order total. The workflow passes the total createOrder returned (the snapshot it wrote, in the
     * history), which saves reading it back; an authorization scheduled without it (by an older checkout) reads it.
     */
    async authorizePayment(
      input: PaymentRef & { token: string; amount?: OrderAmount },
    ): Promise<{ paymentId: string; state: PaymentState }> {
      const order = input.amount ?? (await loadOrder(input.orderId));
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
        await savePayment(
          input,
          {
            status: 'failed',
            providerPaymentId: err.paymentId,
            amountCents: order.totalCents,
            currency: order.currency,
            failureCode: err.code,
          },
          { type: 'payment.failed', data: { code: err.code, paymentId: err.paymentId } },
        );
        throw ApplicationFailure.nonRetryable(`payment declined: ${err.code}`, PAYMENT_DECLINED, { code: err.code });
      }
      const state: PaymentState = payment.status === 'requires_action' ? 'requires_action' : 'authorized';
      const saved = {
        status: state,
        providerPaymentId: payment.id,
        amountCents: payment.amountCents,
        currency: payment.currency,
      };
      if (state === 'requires_action') {
        await savePayment(
          input,
          saved,
          { type: 'payment.action_required', data: { paymentId: payment.id } },
          'awaiting_payment',
        );
      } else {
        await savePayment(input, saved, {
          type: 'payment.authorized',
          data: { paymentId: payment.id, amountCents: payment.amountCents },
        });
      }
      return { paymentId: payment.id, state };
    },

    /** The customer completed 3-D Secure (webhook or operator signal): the authorization now stands. */
    async confirmPayment(input: PaymentRef): Promise<void> {
      const current = await providerPayment(input);
      const payment = await provider.confirm({ paymentId: current.id });
      await savePayment(
        input,
        {
          status: 'authorized',
          providerPaymentId: payment.id,
          amountCents: payment.amountCents,
          currency: payment.currency,
        },
        {
          type: 'payment.authorized',
          data: { paymentId: payment.id, amountCents: payment.amountCents, via: 'confirmation' },
        },
        'pending',
      );
    },

    /**
     * Captures the authorization the workflow holds the id of. Checkouts whose capture was scheduled before the id
     * was passed ask the provider for it by the authorization's idempotency key.
     */
    async capturePayment(input: PaymentRef & { paymentId?: string }): Promise<void> {
      const paymentId = input.paymentId ?? (await providerPayment(input)).id;
      const payment = await provider.capture({ paymentId, idempotencyKey: paymentKey(input.workflowId, 'capture') });
      await savePayment(
        input,
        {
          status: 'captured',
          providerPaymentId: payment.id,
          amountCents: payment.amountCents,
          currency: payment.currency,
        },
        { type: 'payment.processed', data: { paymentId: payment.id, capturedCents: payment.capturedCents } },
      );
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
      await savePayment(
        input,
        { status: state, providerPaymentId: result.id, amountCents: result.amountCents, currency: result.currency },
        {
          type: state === 'refunded' ? 'payment.refunded' : 'payment.voided',
          data: {
            paymentId: result.id,
            amountCents: state === 'refunded' ? result.refundedCents : result.amountCents,
            reason: input.reason,
          },
        },
      );
      return state;
    },
  };
}
