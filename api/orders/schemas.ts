/** Request and response schemas of checkout, orders and the payment webhook (they also generate the OpenAPI doc). */
import { z } from '@hono/zod-openapi';
import { ORDER_STATUS, PAYMENT_STATE } from '../../contract';
import { NON_BLANK_TEXT, text } from '../text';

export const ShippingAddressSchema = z
  .object({
    name: text().trim().min(1).max(200).openapi({ pattern: NON_BLANK_TEXT }),
    line1: text().trim().min(1).max(200).openapi({ pattern: NON_BLANK_TEXT }),
    line2: text().trim().max(200).optional(),
    city: text().trim().min(1).max(100).openapi({ pattern: NON_BLANK_TEXT }),
    region: text().trim().max(100).optional(),
    postalCode: text().trim().min(1).max(20).openapi({ pattern: NON_BLANK_TEXT }),
    country: z.string().regex(/^[A-Z]{2}$/, 'ISO 3166-1 alpha-2 country code, e.g. DE'),
  })
  .strict()
  .openapi('ShippingAddress');

export const CheckoutBodySchema = z
  .object({
    cartId: z.uuid(),
    // The pattern is the one z.email() checks (stricter than JSON Schema's "email" format).
    email: z.email().max(254).openapi({ pattern: z.regexes.email.source }),
    shippingAddress: ShippingAddressSchema,
    payment: z.object({ method: z.literal('card'), token: text().min(1).max(200) }).strict(),
  })
  .strict()
  .openapi('CheckoutRequest');

export const IdempotencyHeaderSchema = z.object({
  'idempotency-key': text({ error: 'the Idempotency-Key header is required' })
    .min(1)
    .max(255)
    .openapi({
      param: { name: 'idempotency-key', in: 'header' },
      description: 'Idempotency-Key (1..255 characters): the same key and body return the same order',
      example: 'a8f3c2e0-checkout-1',
    }),
});

export const AcceptedSchema = z
  .object({
    orderId: z.uuid(),
    status: z.enum(ORDER_STATUS),
    links: z.object({ self: z.string(), events: z.string(), cancel: z.string() }),
  })
  .openapi('CheckoutAccepted');

export const OrderIdParamSchema = z.object({ id: z.uuid().openapi({ param: { name: 'id', in: 'path' } }) });

const EventSchema = z
  .object({ id: z.number().int(), type: z.string(), at: z.string(), data: z.record(z.string(), z.unknown()) })
  .openapi('OrderEvent');

export const OrderSchema = z
  .object({
    id: z.uuid(),
    status: z.enum(ORDER_STATUS),
    paymentState: z.enum(PAYMENT_STATE).nullable(),
    failureReason: z.string().nullable(),
    currency: z.string().nullable(),
    totalCents: z.number().int().nullable(),
    email: z.string().nullable(),
    shippingAddress: z.record(z.string(), z.string()).nullable(),
    lines: z.array(
      z.object({
        productId: z.uuid(),
        sku: z.string(),
        name: z.string(),
        unitPriceCents: z.number().int(),
        quantity: z.number().int(),
        lineTotalCents: z.number().int(),
      }),
    ),
    createdAt: z.string().nullable(),
    confirmedAt: z.string().nullable(),
    timeline: z.array(EventSchema),
  })
  .openapi('Order');

export const OrderSummarySchema = z
  .object({
    id: z.uuid(),
    status: z.enum(ORDER_STATUS),
    paymentState: z.enum(PAYMENT_STATE).nullable(),
    currency: z.string(),
    totalCents: z.number().int(),
    createdAt: z.string(),
  })
  .openapi('OrderSummary');

export const OrderPageSchema = z
  .object({ items: z.array(OrderSummarySchema), nextCursor: z.string().nullable() })
  .openapi('OrderPage');

export const OrderListQuerySchema = z.object({
  status: z.enum(ORDER_STATUS).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: text().max(200).optional().openapi({
    pattern: '^[A-Za-z0-9_-]*$',
    description: 'nextCursor of the previous page (opaque; empty: the first page); any other is 400.',
  }),
});

export const EventsSchema = z.object({ orderId: z.uuid(), items: z.array(EventSchema) }).openapi('OrderTimeline');

export const CancelBodySchema = z
  .object({
    reason: text().trim().min(1).max(200).optional().openapi({ pattern: NON_BLANK_TEXT }),
  })
  .strict()
  .openapi('CancelRequest');

export const CancelResultSchema = z
  .object({
    orderId: z.uuid(),
    status: z.enum(ORDER_STATUS),
    paymentState: z.enum(PAYMENT_STATE).nullable(),
    failureReason: z.string().nullable(),
  })
  .openapi('CancelResult');

export const WebhookBodySchema = z.object({
  type: text().min(1).max(200),
  data: z
    .object({ orderId: z.uuid().optional(), paymentId: text().min(1).max(200).optional() })
    .refine((d) => d.orderId || d.paymentId, {
      message: 'data.orderId or data.paymentId is required',
    }),
});

/** What a payment provider's callback is answered with (the sandbox's and Stripe's webhooks alike). */
export const WebhookReceiptSchema = z.object({
  received: z.boolean(),
  ignored: z.boolean(),
  orderId: z.string().nullable(),
});
