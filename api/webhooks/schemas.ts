/** Request and response schemas of the webhook subscriptions admin API; they also generate its OpenAPI document. */
import { z } from '@hono/zod-openapi';
import { WEBHOOK_ALL_EVENTS, WEBHOOK_DELIVERY_STATUSES, WEBHOOK_EVENT_TYPES } from '../../contract';
import { MAX_WEBHOOK_URL_LENGTH } from '../../lib/webhook-url';
import { multilineText, text } from '../text';

const EventTypeSchema = z.enum([WEBHOOK_ALL_EVENTS, ...WEBHOOK_EVENT_TYPES]).openapi({
  description: `An order event type, or "${WEBHOOK_ALL_EVENTS}" for every type (including types added later).`,
});

/** The event types asked for, each once; "*" stands alone (it already means all of them). */
const EventsSchema = z
  .array(EventTypeSchema)
  .min(1)
  .max(WEBHOOK_EVENT_TYPES.length + 1)
  .transform((types) => (types.includes(WEBHOOK_ALL_EVENTS) ? [WEBHOOK_ALL_EVENTS] : [...new Set(types)]));

/**
 * What the URL check (lib/webhook-url.ts) accepts, as far as a pattern can say: http(s), a host name, an optional
 * port, no credentials, no fragment, no space or control character. IP literals are accepted too (where configuration
 * allows their range) but left out here, so that generated examples are names.
 */
export const URL_PATTERN =
  '^[Hh][Tt][Tt][Pp][Ss]?://[A-Za-z][A-Za-z0-9-]*(\\.[A-Za-z][A-Za-z0-9-]*)*(:[0-9]{1,4})?([/?][^ #\\u0000-\\u001F\\u007F-\\u009F]*)?$';

const UrlSchema = text().min(1).max(MAX_WEBHOOK_URL_LENGTH).openapi({
  pattern: URL_PATTERN,
  example: 'https://hooks.example.com/orderly',
  description: 'http(s) only; private and loopback addresses only where configuration allows (docs/webhooks.md).',
});

const DescriptionSchema = multilineText().max(500);

export const CreateSubscriptionSchema = z
  .object({ url: UrlSchema, events: EventsSchema, description: DescriptionSchema.optional() })
  .strict()
  .openapi('WebhookSubscriptionCreate');

export const UpdateSubscriptionSchema = z
  .object({
    url: UrlSchema.optional(),
    events: EventsSchema.optional(),
    description: DescriptionSchema.nullable().optional(),
    enabled: z.boolean().optional().openapi({ description: 'true re-enables and clears the failure count.' }),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, { message: 'give at least one of url, events, description, enabled' })
  .openapi('WebhookSubscriptionUpdate', { minProperties: 1 });

export const SubscriptionSchema = z
  .object({
    id: z.uuid(),
    url: z.string(),
    events: z.array(z.string()),
    description: z.string().nullable(),
    enabled: z.boolean(),
    disabledReason: z.string().nullable(),
    consecutiveFailures: z.number().int(),
    previousSecretExpiresAt: z
      .string()
      .nullable()
      .openapi({ description: 'Until then, deliveries are also signed with the secret before the last rotation.' }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('WebhookSubscription');

export const SubscriptionWithSecretSchema = SubscriptionSchema.extend({
  secret: z.string().openapi({
    description: 'The signing secret (whsec_ and base64); shown only when created and when rotated.',
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwMfKQ9r8GKYo=',
  }),
}).openapi('WebhookSubscriptionWithSecret');

const cursorParam = text().max(200).optional().openapi({
  pattern: '^[A-Za-z0-9_-]*$',
  description: 'nextCursor of the previous page (opaque; empty: the first page); any other is 400.',
});
const limitParam = z.coerce.number().int().min(1).max(100).default(20);

export const ListQuerySchema = z.object({ limit: limitParam, cursor: cursorParam });

export const SubscriptionPageSchema = z
  .object({ items: z.array(SubscriptionSchema), nextCursor: z.string().nullable() })
  .openapi('WebhookSubscriptionPage');

export const IdParamSchema = z.object({ id: z.uuid() });

export const DeliveryQuerySchema = z.object({
  status: z.enum(WEBHOOK_DELIVERY_STATUSES).optional(),
  limit: limitParam,
  cursor: cursorParam,
});

export const DeliverySchema = z
  .object({
    id: z.number().int(),
    eventId: z.number().int(),
    webhookId: z.string().openapi({ description: 'The webhook-id header the event is delivered with: msg_<eventId>.' }),
    eventType: z.string(),
    orderId: z.uuid(),
    status: z.enum(WEBHOOK_DELIVERY_STATUSES),
    attempts: z.number().int(),
    lastStatusCode: z.number().int().nullable(),
    lastError: z.string().nullable(),
    lastAttemptAt: z.string().nullable(),
    deliveredAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi('WebhookDelivery');

export const DeliveryPageSchema = z
  .object({ items: z.array(DeliverySchema), nextCursor: z.string().nullable() })
  .openapi('WebhookDeliveryPage');
