/**
 * The sandbox payment provider: behaves like a real card processor driven by Stripe-style test tokens and keeps its
 * own books (sandbox_payments, sandbox_ledger) so a double charge would be visible in the database.
 */
import { randomBytes } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { sandboxLedger, sandboxPayments } from '../../db/schema';
import {
  PaymentDeclinedError,
  PaymentStateError,
  type AuthorizeRequest,
  type PaymentProvider,
  type ProviderPayment,
  type ProviderPaymentStatus,
} from './provider';

/** Test tokens and what they do; anything else is declined as invalid. */
export const SANDBOX_TOKENS = {
  tok_visa: 'authorized',
  tok_chargeDeclined: 'declined: card_declined',
  tok_chargeDeclinedInsufficientFunds: 'declined: insufficient_funds',
  tok_threeDSecureRequired: 'requires_action until confirmed',
  tok_flaky: '503 on the first 2 attempts, then authorized',
  tok_timeoutAfterCharge: 'authorized, but the first answer is lost (timeout)',
} as const;

const DECLINE_CODES: Record<string, string> = {
  tok_chargeDeclined: 'card_declined',
  tok_chargeDeclinedInsufficientFunds: 'insufficient_funds',
};

/** A transient provider fault (5xx or a lost answer): the caller retries with the same idempotency key. */
export class ProviderUnavailableError extends Error {
  constructor(
    message: string,
    readonly statusCode: number,
  ) {
    super(message);
    this.name = 'ProviderUnavailableError';
  }
}

type Row = typeof sandboxPayments.$inferSelect;

function toPayment(row: Row): ProviderPayment {
  const status = (row.status === 'processing' ? 'declined' : row.status) as ProviderPaymentStatus;
  return {
    id: row.id,
    status,
    amountCents: row.amountCents,
    currency: row.currency,
    capturedCents: row.capturedCents,
    refundedCents: row.refundedCents,
    ...(status === 'declined' ? { declineCode: DECLINE_CODES[row.token] ?? 'invalid_token' } : {}),
  };
}

function outcomeFor(token: string): 'authorized' | 'requires_action' | 'declined' {
  if (token in DECLINE_CODES) return 'declined';
  if (token === 'tok_threeDSecureRequired') return 'requires_action';
  if (token in SANDBOX_TOKENS) return 'authorized';
  return 'declined';
}

export function createSandboxProvider(db: Db): PaymentProvider {
  /** Moves a payment from one of `from` to `to` in one transaction with its ledger line; replays are no-ops. */
  const transition = async (
    id: string,
    op: { from: string[]; to: string; done: string[]; ledger?: { operation: string; key: string; amount: (r: Row) => number } },
    patch: (r: Row) => Partial<Row> = () => ({}),
  ): Promise<ProviderPayment> =>
    db.transaction(async (tx) => {
      const [row] = await tx.select().from(sandboxPayments).where(eq(sandboxPayments.id, id)).for('update');
      if (!row) throw new PaymentStateError(`no such payment ${id}`);
      if (op.done.includes(row.status)) return toPayment(row);
      if (!op.from.includes(row.status)) throw new PaymentStateError(`payment ${id} is ${row.status}, cannot become ${op.to}`);
      const [next] = await tx
        .update(sandboxPayments)
        .set({ status: op.to, updatedAt: new Date(), ...patch(row) })
        .where(eq(sandboxPayments.id, id))
        .returning();
      if (op.ledger) {
        await tx
          .insert(sandboxLedger)
          .values({ paymentId: id, operation: op.ledger.operation, idempotencyKey: op.ledger.key, amountCents: op.ledger.amount(row) })
          .onConflictDoNothing();
      }
      return toPayment(next!);
    });

  return {
    name: 'sandbox',

    async authorize(req: AuthorizeRequest) {
      // Every call counts as an attempt, like a provider's request log.
      const [row] = await db
        .insert(sandboxPayments)
        .values({
          id: `pi_${randomBytes(12).toString('hex')}`,
          idempotencyKey: req.idempotencyKey,
          token: req.token,
          amountCents: req.amountCents,
          currency: req.currency,
          status: 'processing',
          attempts: 1,
        })
        .onConflictDoUpdate({ target: sandboxPayments.idempotencyKey, set: { attempts: sql`${sandboxPayments.attempts} + 1` } })
        .returning();
      const current = row!;
      if (current.status !== 'processing') {
        // Idempotent replay: the original answer again, never a second charge.
        const payment = toPayment(current);
        if (payment.status === 'declined') throw new PaymentDeclinedError(payment.declineCode!, payment.id);
        return payment;
      }
      if (current.token === 'tok_flaky' && current.attempts <= 2) {
        throw new ProviderUnavailableError(`sandbox: 503 Service Unavailable (attempt ${current.attempts})`, 503);
      }
      const outcome = outcomeFor(current.token);
      const payment = await db.transaction(async (tx) => {
        const [next] = await tx
          .update(sandboxPayments)
          .set({ status: outcome, updatedAt: new Date() })
          .where(sql`${sandboxPayments.id} = ${current.id} and ${sandboxPayments.status} = 'processing'`)
          .returning();
        if (!next) {
          const [other] = await tx.select().from(sandboxPayments).where(eq(sandboxPayments.id, current.id));
          return toPayment(other!);
        }
        if (outcome !== 'declined') {
          await tx
            .insert(sandboxLedger)
            .values({ paymentId: next.id, operation: 'authorize', idempotencyKey: req.idempotencyKey, amountCents: next.amountCents })
            .onConflictDoNothing();
        }
        return toPayment(next);
      });
      if (payment.status === 'declined') throw new PaymentDeclinedError(payment.declineCode!, payment.id);
      if (current.token === 'tok_timeoutAfterCharge' && current.attempts === 1) {
        throw new ProviderUnavailableError('sandbox: request timed out after the authorization was recorded', 504);
      }
      return payment;
    },

    confirm: ({ paymentId }) => transition(paymentId, { from: ['requires_action'], to: 'authorized', done: ['authorized', 'captured'] }),

    capture: ({ paymentId, idempotencyKey }) =>
      transition(
        paymentId,
        { from: ['authorized'], to: 'captured', done: ['captured'], ledger: { operation: 'capture', key: idempotencyKey, amount: (r) => r.amountCents } },
        (r) => ({ capturedCents: r.amountCents }),
      ),

    void: ({ paymentId, idempotencyKey }) =>
      transition(paymentId, {
        from: ['authorized', 'requires_action'],
        to: 'voided',
        done: ['voided', 'declined'],
        ledger: { operation: 'void', key: idempotencyKey, amount: (r) => r.amountCents },
      }),

    refund: ({ paymentId, idempotencyKey }) =>
      transition(
        paymentId,
        { from: ['captured'], to: 'refunded', done: ['refunded'], ledger: { operation: 'refund', key: idempotencyKey, amount: (r) => r.capturedCents } },
        (r) => ({ refundedCents: r.capturedCents }),
      ),

    async retrieve(key) {
      const [row] = await db.select().from(sandboxPayments).where(eq(sandboxPayments.idempotencyKey, key));
      if (!row || row.status === 'processing') return null;
      return toPayment(row);
    },
  };
}
