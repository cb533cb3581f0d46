/**
 * The sandbox payment provider: behaves like a real card processor driven by Stripe-style test tokens and keeps its
 * own books (sandbox_payments, sandbox_ledger) so a double charge would be visible in the database.
 */
import { randomBytes } from 'node:crypto';
import { eq, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../../db/client';
import { parseOneRow, parseRows } from '../../db/rows';
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

/** The columns toPayment reads (and the attempt count), as a raw statement returns them, mapped to the row's names. */
const RawRow = z
  .object({
    id: z.string(),
    token: z.string(),
    status: z.string(),
    amount_cents: z.coerce.number(),
    currency: z.string(),
    captured_cents: z.coerce.number(),
    refunded_cents: z.coerce.number(),
    attempts: z.coerce.number(),
  })
  .transform(
    (
      r,
    ): Pick<
      Row,
      'id' | 'token' | 'status' | 'amountCents' | 'currency' | 'capturedCents' | 'refundedCents' | 'attempts'
    > => ({
      id: r.id,
      token: r.token,
      status: r.status,
      amountCents: r.amount_cents,
      currency: r.currency,
      capturedCents: r.captured_cents,
      refundedCents: r.refunded_cents,
      attempts: r.attempts,
    }),
  );

function toPayment(
  row: Pick<Row, 'id' | 'token' | 'status' | 'amountCents' | 'currency' | 'capturedCents' | 'refundedCents'>,
): ProviderPayment {
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
  /**
   * Moves a payment from one of `from` to `to` with its ledger line, in one statement (so one transaction): the
   * conditional update is the lock. When nothing moved, the row says whether it was a replay (no-op) or a bad move.
   */
  const transition = async (
    id: string,
    op: {
      from: string[];
      to: string;
      done: string[];
      ledger?: { operation: string; key: string; amount: 'amount_cents' | 'captured_cents' };
    },
    patch: SQL = sql``,
  ): Promise<ProviderPayment> => {
    const ledger = op.ledger
      ? sql`, l as (insert into ${sandboxLedger} (payment_id, operation, idempotency_key, amount_cents)
                select id, ${op.ledger.operation}::text, ${op.ledger.key}::text, ${sql.identifier(op.ledger.amount)} from next
                on conflict do nothing)`
      : sql``;
    const [next] = parseRows(
      await db.execute(sql`
        with next as (
          update ${sandboxPayments} set status = ${op.to}, updated_at = ${new Date().toISOString()}::timestamptz ${patch}
           where id = ${id} and status = any(string_to_array(${op.from.join(',')}, ','))
          returning *)${ledger}
        select * from next`),
      RawRow,
    );
    if (next) return toPayment(next);
    const [row] = await db.select().from(sandboxPayments).where(eq(sandboxPayments.id, id));
    if (!row) throw new PaymentStateError(`no such payment ${id}`);
    if (op.done.includes(row.status)) return toPayment(row);
    throw new PaymentStateError(`payment ${id} is ${row.status}, cannot become ${op.to}`);
  };

  return {
    name: 'sandbox',

    async authorize(req: AuthorizeRequest) {
      // Every call counts as an attempt, like a provider's request log. A first attempt whose outcome is known at once
      // writes that outcome and its ledger line with the attempt, in one statement (so one transaction).
      const flaky = req.token === 'tok_flaky';
      const decided = flaky ? 'processing' : outcomeFor(req.token);
      // The upsert always returns its row.
      const current = parseOneRow(
        await db.execute(sql`
          with a as (
            insert into ${sandboxPayments} (id, idempotency_key, token, amount_cents, currency, status, attempts)
            values (${`pi_${randomBytes(12).toString('hex')}`}, ${req.idempotencyKey}, ${req.token}, ${req.amountCents}, ${req.currency}, ${decided}, 1)
            on conflict (idempotency_key) do update set attempts = ${sandboxPayments}.attempts + 1
            returning *),
          l as (insert into ${sandboxLedger} (payment_id, operation, idempotency_key, amount_cents)
                select id, 'authorize', ${req.idempotencyKey}::text, amount_cents from a where status in ('authorized', 'requires_action')
                on conflict do nothing)
          select * from a`),
        RawRow,
      );
      const { attempts } = current;
      if (current.status !== 'processing') {
        // The outcome, or on a later attempt its idempotent replay: never a second charge.
        const payment = toPayment(current);
        if (payment.status === 'declined') throw new PaymentDeclinedError(payment.declineCode!, payment.id);
        if (req.token === 'tok_timeoutAfterCharge' && attempts === 1) {
          throw new ProviderUnavailableError('sandbox: request timed out after the authorization was recorded', 504);
        }
        return payment;
      }
      if (flaky && attempts <= 2) {
        throw new ProviderUnavailableError(`sandbox: 503 Service Unavailable (attempt ${attempts})`, 503);
      }
      // Still processing after its failed attempts: this attempt decides. A concurrent attempt that got there first wins.
      const outcome = outcomeFor(current.token);
      const [next] = parseRows(
        await db.execute(sql`
          with next as (
            update ${sandboxPayments} set status = ${outcome}, updated_at = ${new Date().toISOString()}::timestamptz
             where id = ${current.id} and status = 'processing'
            returning *),
          l as (insert into ${sandboxLedger} (payment_id, operation, idempotency_key, amount_cents)
                select id, 'authorize', ${req.idempotencyKey}::text, amount_cents from next where status <> 'declined'
                on conflict do nothing)
          select * from next`),
        RawRow,
      );
      const payment = next
        ? toPayment(next)
        : toPayment((await db.select().from(sandboxPayments).where(eq(sandboxPayments.id, current.id)))[0]!);
      if (payment.status === 'declined') throw new PaymentDeclinedError(payment.declineCode!, payment.id);
      return payment;
    },

    confirm: ({ paymentId }) =>
      transition(paymentId, { from: ['requires_action'], to: 'authorized', done: ['authorized', 'captured'] }),

    // Patches read the row before the move; ledger amounts read columns the move leaves alone.
    capture: ({ paymentId, idempotencyKey }) =>
      transition(
        paymentId,
        {
          from: ['authorized'],
          to: 'captured',
          done: ['captured'],
          ledger: { operation: 'capture', key: idempotencyKey, amount: 'amount_cents' },
        },
        sql`, captured_cents = amount_cents`,
      ),

    void: ({ paymentId, idempotencyKey }) =>
      transition(paymentId, {
        from: ['authorized', 'requires_action'],
        to: 'voided',
        done: ['voided', 'declined'],
        ledger: { operation: 'void', key: idempotencyKey, amount: 'amount_cents' },
      }),

    refund: ({ paymentId, idempotencyKey }) =>
      transition(
        paymentId,
        {
          from: ['captured'],
          to: 'refunded',
          done: ['refunded'],
          ledger: { operation: 'refund', key: idempotencyKey, amount: 'captured_cents' },
        },
        sql`, refunded_cents = captured_cents`,
      ),

    async retrieve(key) {
      const [row] = await db.select().from(sandboxPayments).where(eq(sandboxPayments.idempotencyKey, key));
      if (!row || row.status === 'processing') return null;
      return toPayment(row);
    },
  };
}
