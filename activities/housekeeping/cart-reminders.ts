/**
 * The one reminder an idle cart gets before it expires (CART_REMINDER_AFTER), by email through the notification
 * channel. Claimed in cart_housekeeping before the send and marked after it, with a Message-ID derived from the cart:
 * a retry or a later run never sends a second one (a crash between the SMTP server's acceptance and the mark
 * resends the same Message-ID, as for order notifications).
 */
import { Context, log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { and, eq, ne, sql } from 'drizzle-orm';
import { z } from 'zod';
import { durationMs, NOTIFICATION_REJECTED } from '../../contract';
import { parseOneRow, parseRows } from '../../db/rows';
import { cartHousekeeping, cartLines, carts, customers, orders, products } from '../../db/schema';
import type { ActivityDeps } from '../deps';
import { PermanentSendError } from '../notifications/channel';
import { cartReminder } from '../notifications/templates/cart-reminder';

export type CartReminderOutcome = 'sent' | 'already_sent' | 'no_cart';

/** `<cart-<id>.reminder@orderly.local>`: the same for every attempt, so a resent copy is recognisably the same. */
export const cartReminderMessageId = (cartId: string) => `<cart-${cartId}.reminder@orderly.local>`;

/** Where a cart's reminder goes: the customer's address on file, else the one on their latest order. */
const recipientOf = (customerId: ReturnType<typeof sql>) => sql`coalesce(
  (select cu.email from ${customers} cu where cu.id = ${customerId}),
  (select o.email from ${orders} o where o.customer_id = ${customerId} order by o.created_at desc limit 1))`;

const CartJson = z
  .object({
    customerId: z.string(),
    currency: z.string().nullable(),
    updatedAt: z.string(),
    recipient: z.string().nullable(),
    lines: z.array(z.object({ name: z.string(), quantity: z.number(), unitPriceCents: z.number() })),
  })
  .nullable();

export function createCartReminderActivities(deps: ActivityDeps) {
  const { db } = deps;
  const { cartIdleExpiry, cartReminderAfter } = deps.config.housekeeping;

  return {
    /**
     * Up to `limit` carts due a reminder: untouched for CART_REMINDER_AFTER (but not yet expired), with lines and an
     * address, not reminded (a claim left pending by a failed run is taken again), and not being checked out. None when the reminder would not come before the expiry.
     */
    async listCartsToRemind(input: { limit: number }): Promise<string[]> {
      if (durationMs(cartReminderAfter) >= durationMs(cartIdleExpiry)) return [];
      const now = deps.clock().getTime();
      const remindBefore = new Date(now - durationMs(cartReminderAfter)).toISOString();
      const rows = parseRows(
        await db.execute(sql`
          select c.id from ${carts} c
           where c.updated_at < ${remindBefore}::timestamptz
             and exists (select 1 from ${cartLines} cl where cl.cart_id = c.id)
             and not exists (select 1 from ${cartHousekeeping} k where k.cart_id = c.id and k.reminder_status in ('sent', 'failed'))
             and not exists (select 1 from ${orders} o where o.cart_id = c.id and o.status in ('pending', 'awaiting_payment'))
             and ${recipientOf(sql`c.customer_id`)} is not null
           order by c.updated_at, c.id
           limit ${input.limit}`),
        z.object({ id: z.string() }),
      );
      return rows.map((r) => r.id);
    },

    /** Claims the cart's reminder, sends it, marks it sent. A cart already reminded (or gone) is not sent again. */
    async sendCartReminder(input: { cartId: string }): Promise<CartReminderOutcome> {
      const channel = deps.channels.email;
      if (!channel) throw ApplicationFailure.nonRetryable('the email channel is not configured', NOTIFICATION_REJECTED);
      const { cart } = parseOneRow(
        await db.execute(sql`
          select (select json_build_object(
                    'customerId', c.customer_id, 'currency', c.currency, 'updatedAt', c.updated_at,
                    'recipient', ${recipientOf(sql`c.customer_id`)},
                    'lines', coalesce((select json_agg(json_build_object('name', p.name, 'quantity', cl.quantity,
                                                                         'unitPriceCents', p.price_cents)
                                                       order by cl.added_at, cl.product_id)
                                         from ${cartLines} cl join ${products} p on p.id = cl.product_id
                                        where cl.cart_id = c.id), '[]'::json))
                    from ${carts} c where c.id = ${input.cartId}::uuid) as cart`),
        z.object({ cart: CartJson }),
      );
      if (!cart || !cart.lines.length || !cart.recipient || !cart.currency) return 'no_cart';
      const messageId = cartReminderMessageId(input.cartId);
      const now = deps.clock();
      const [claimed] = await db
        .insert(cartHousekeeping)
        .values({
          cartId: input.cartId,
          customerId: cart.customerId,
          reminderStatus: 'pending',
          reminderMessageId: messageId,
          reminderRecipient: cart.recipient,
        })
        .onConflictDoUpdate({
          target: cartHousekeeping.cartId,
          set: { reminderStatus: 'pending', reminderMessageId: messageId, reminderRecipient: cart.recipient },
          setWhere: sql`${cartHousekeeping.reminderStatus} is null or ${cartHousekeeping.reminderStatus} = 'pending'`,
        })
        .returning({ cartId: cartHousekeeping.cartId });
      // Sent already (or given up): the answer, in the run's history, says so.
      if (!claimed) return 'already_sent';
      const rendered = cartReminder(
        {
          cartId: input.cartId,
          currency: cart.currency,
          lines: cart.lines,
          expiresAt: new Date(new Date(cart.updatedAt).getTime() + durationMs(cartIdleExpiry)),
        },
        deps.config.publicBaseUrl,
      );
      try {
        await channel.send(
          { ...rendered, messageId, to: cart.recipient, orderId: '', kind: 'cart_reminder' },
          Context.current().cancellationSignal,
        );
      } catch (err) {
        if (err instanceof PermanentSendError)
          throw ApplicationFailure.nonRetryable(err.message, NOTIFICATION_REJECTED);
        throw err;
      }
      await db
        .update(cartHousekeeping)
        .set({ reminderStatus: 'sent', remindedAt: now })
        .where(eq(cartHousekeeping.cartId, input.cartId));
      log.info('cart reminder sent', { cartId: input.cartId, messageId });
      return 'sent';
    },

    /** The send ran out of retries: the reminder is given up (not tried again by later runs). */
    async recordCartReminderFailure(input: { cartId: string; error: string }): Promise<void> {
      log.warn('cart reminder failed', { cartId: input.cartId, error: input.error });
      await db
        .update(cartHousekeeping)
        .set({ reminderStatus: 'failed' })
        .where(and(eq(cartHousekeeping.cartId, input.cartId), ne(cartHousekeeping.reminderStatus, 'sent')));
    },
  };
}
