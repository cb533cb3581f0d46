/** The single source of truth for Orderly's tables. Money is integer minor units plus an ISO 4217 currency. */
import { sql, type SQL } from 'drizzle-orm';
import {
  NOTIFICATION_CHANNELS,
  NOTIFICATION_KINDS,
  ORDER_STATUS,
  PAYMENT_STATE,
  WEBHOOK_DELIVERY_STATUSES,
} from '../contract';
import {
  bigint,
  bigserial,
  boolean,
  char,
  check,
  customType,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });
const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const customers = pgTable('customers', {
  id: uuid('id').primaryKey(),
  email: text('email'),
  phone: text('phone'),
  pushToken: text('push_token'),
  /** Channels the customer wants order notifications on, e.g. ["email","sms"]. */
  notificationChannels: jsonb('notification_channels')
    .$type<string[]>()
    .notNull()
    .default(sql`'["email"]'::jsonb`),
  createdAt: ts('created_at').notNull().defaultNow(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});

export const products = pgTable(
  'products',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    sku: text('sku').notNull(),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    category: text('category').notNull(),
    priceCents: integer('price_cents').notNull(),
    currency: char('currency', { length: 3 }).notNull(),
    /** Units available to sell now; reserved and sold units live in inventory_reservations. */
    stock: integer('stock').notNull(),
    active: boolean('active').notNull().default(true),
    archivedAt: ts('archived_at'),
    /** Bumped on every write; the ETag is derived from it. */
    version: integer('version').notNull().default(1),
    /** Weighted for ranking (api/catalog/search.ts): a word in the name counts most, then category, then description. */
    searchVector: tsvector('search_vector').generatedAlwaysAs(
      (): SQL =>
        sql`setweight(to_tsvector('simple', coalesce(${products.name}, '')), 'A') || setweight(to_tsvector('simple', coalesce(${products.category}, '')), 'B') || setweight(to_tsvector('simple', coalesce(${products.description}, '')), 'C')`,
    ),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('products_sku_key').on(t.sku),
    index('products_category_idx').on(t.category, t.id),
    index('products_price_idx').on(t.priceCents, t.id),
    index('products_name_idx').on(t.name, t.id),
    index('products_created_idx').on(t.createdAt, t.id),
    index('products_search_idx').using('gin', t.searchVector),
    check('products_stock_nonnegative', sql`${t.stock} >= 0`),
    check('products_price_nonnegative', sql`${t.priceCents} >= 0`),
  ],
);

/**
 * Every word ever indexed in products.search_vector, for typo tolerance: a query word is matched against this small
 * table with pg_trgm, and its closest words join the search (api/catalog/search.ts). Filled by a trigger on products
 * (migration search_quality); words of renamed or deleted products stay, and only ever widen a search to nothing.
 */
export const searchWords = pgTable('search_words', { word: text('word').primaryKey() }, (t) => [
  index('search_words_trgm_idx').using('gin', t.word.op('gin_trgm_ops')),
]);

export const carts = pgTable(
  'carts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    customerId: uuid('customer_id').notNull(),
    currency: char('currency', { length: 3 }),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [index('carts_customer_idx').on(t.customerId), index('carts_updated_idx').on(t.updatedAt, t.id)],
);

export const cartLines = pgTable(
  'cart_lines',
  {
    cartId: uuid('cart_id')
      .notNull()
      .references(() => carts.id, { onDelete: 'cascade' }),
    productId: uuid('product_id')
      .notNull()
      .references(() => products.id),
    quantity: integer('quantity').notNull(),
    addedAt: ts('added_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.cartId, t.productId] }),
    check('cart_lines_quantity_range', sql`${t.quantity} between 1 and 1000`),
  ],
);

export const orders = pgTable(
  'orders',
  {
    id: uuid('id').primaryKey(),
    customerId: uuid('customer_id').notNull(),
    cartId: uuid('cart_id'),
    email: text('email').notNull(),
    status: text('status', { enum: ORDER_STATUS }).notNull().default('pending'),
    paymentStatus: text('payment_status', { enum: PAYMENT_STATE }),
    currency: char('currency', { length: 3 }).notNull(),
    totalCents: integer('total_cents').notNull(),
    shippingAddress: jsonb('shipping_address').$type<Record<string, string>>().notNull(),
    idempotencyKey: text('idempotency_key').notNull(),
    requestHash: text('request_hash').notNull(),
    workflowId: text('workflow_id').notNull(),
    failureReason: text('failure_reason'),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
    confirmedAt: ts('confirmed_at'),
    /** Set when an operator must look at the order (housekeeping found its workflow closed before a terminal state). */
    needsAttention: boolean('needs_attention').notNull().default(false),
  },
  (t) => [
    uniqueIndex('orders_customer_idempotency_key').on(t.customerId, t.idempotencyKey),
    index('orders_customer_created_idx').on(t.customerId, t.createdAt, t.id),
    index('orders_status_created_idx').on(t.status, t.createdAt, t.id),
    index('orders_cart_status_idx').on(t.cartId, t.status),
    index('orders_needs_attention_idx')
      .on(t.updatedAt, t.id)
      .where(sql`${t.needsAttention}`),
    check('orders_total_nonnegative', sql`${t.totalCents} >= 0`),
  ],
);

export const orderLines = pgTable(
  'order_lines',
  {
    orderId: uuid('order_id')
      .notNull()
      .references(() => orders.id, { onDelete: 'cascade' }),
    productId: uuid('product_id')
      .notNull()
      .references(() => products.id),
    sku: text('sku').notNull(),
    name: text('name').notNull(),
    unitPriceCents: integer('unit_price_cents').notNull(),
    quantity: integer('quantity').notNull(),
    lineTotalCents: integer('line_total_cents').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.orderId, t.productId] }),
    check('order_lines_quantity_positive', sql`${t.quantity} > 0`),
  ],
);

export const RESERVATION_STATUSES = ['held', 'committed', 'released'] as const;

export const inventoryReservations = pgTable(
  'inventory_reservations',
  {
    orderId: uuid('order_id')
      .notNull()
      .references(() => orders.id, { onDelete: 'cascade' }),
    productId: uuid('product_id')
      .notNull()
      .references(() => products.id),
    quantity: integer('quantity').notNull(),
    status: text('status', { enum: RESERVATION_STATUSES }).notNull().default('held'),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.orderId, t.productId] }),
    index('inventory_reservations_product_status_idx').on(t.productId, t.status),
    check('inventory_reservations_quantity_positive', sql`${t.quantity} > 0`),
  ],
);

export const payments = pgTable(
  'payments',
  {
    orderId: uuid('order_id')
      .primaryKey()
      .references(() => orders.id, { onDelete: 'cascade' }),
    provider: text('provider').notNull(),
    providerPaymentId: text('provider_payment_id'),
    idempotencyKey: text('idempotency_key').notNull(),
    status: text('status', { enum: PAYMENT_STATE }).notNull(),
    amountCents: integer('amount_cents').notNull(),
    currency: char('currency', { length: 3 }).notNull(),
    failureCode: text('failure_code'),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('payments_idempotency_key').on(t.idempotencyKey)],
);

/** The sandbox payment provider's own books, as a real provider would keep them: one row per payment intent. */
export const sandboxPayments = pgTable(
  'sandbox_payments',
  {
    id: text('id').primaryKey(),
    idempotencyKey: text('idempotency_key').notNull(),
    token: text('token').notNull(),
    amountCents: integer('amount_cents').notNull(),
    currency: char('currency', { length: 3 }).notNull(),
    status: text('status').notNull(),
    capturedCents: integer('captured_cents').notNull().default(0),
    refundedCents: integer('refunded_cents').notNull().default(0),
    attempts: integer('attempts').notNull().default(0),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('sandbox_payments_idempotency_key').on(t.idempotencyKey)],
);

/** Every provider call that reached the sandbox, keyed so a replayed call is recognised. */
export const sandboxLedger = pgTable(
  'sandbox_ledger',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    paymentId: text('payment_id').notNull(),
    operation: text('operation').notNull(),
    idempotencyKey: text('idempotency_key').notNull(),
    amountCents: integer('amount_cents').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('sandbox_ledger_idempotency_key').on(t.operation, t.idempotencyKey)],
);

export const orderEvents = pgTable(
  'order_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    orderId: uuid('order_id')
      .notNull()
      .references(() => orders.id, { onDelete: 'cascade' }),
    type: text('type').notNull(),
    data: jsonb('data')
      .$type<Record<string, unknown>>()
      .notNull()
      .default(sql`'{}'::jsonb`),
    /** Set when the event is the effect of one idempotent step, so a retried step cannot write it twice. */
    dedupeKey: text('dedupe_key'),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [index('order_events_order_idx').on(t.orderId, t.id), uniqueIndex('order_events_dedupe_key').on(t.dedupeKey)],
);

export const NOTIFICATION_STATUSES = ['pending', 'sent', 'failed'] as const;

export const notifications = pgTable(
  'notifications',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orderId: uuid('order_id')
      .notNull()
      .references(() => orders.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: NOTIFICATION_KINDS }).notNull(),
    channel: text('channel', { enum: NOTIFICATION_CHANNELS }).notNull(),
    recipient: text('recipient').notNull(),
    status: text('status', { enum: NOTIFICATION_STATUSES }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    /** How many times an admin asked for a resend; part of the Message-ID so a resend is a new message. */
    generation: integer('generation').notNull().default(0),
    messageId: text('message_id'),
    providerMessageId: text('provider_message_id'),
    lastError: text('last_error'),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
    sentAt: ts('sent_at'),
  },
  (t) => [
    uniqueIndex('notifications_order_kind_channel').on(t.orderId, t.kind, t.channel),
    index('notifications_status_idx').on(t.status, t.createdAt),
  ],
);

/**
 * Abandoned carts that housekeeping expired (the cart row is deleted; this keeps what it held) and the one reminder
 * it may send before that. Keyed by the cart id with no foreign key, so the record outlives the cart.
 */
export const cartHousekeeping = pgTable(
  'cart_housekeeping',
  {
    cartId: uuid('cart_id').primaryKey(),
    customerId: uuid('customer_id').notNull(),
    /** The reminder's tracking: claimed (pending) before the send, sent after it; null until one is due. */
    reminderStatus: text('reminder_status', { enum: NOTIFICATION_STATUSES }),
    reminderMessageId: text('reminder_message_id'),
    reminderRecipient: text('reminder_recipient'),
    remindedAt: ts('reminded_at'),
    /** The lines the cart held when it expired: [{ productId, quantity }]. */
    lines: jsonb('lines').$type<{ productId: string; quantity: number }[]>(),
    idleSince: ts('idle_since'),
    expiredAt: ts('expired_at'),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [index('cart_housekeeping_expired_idx').on(t.expiredAt)],
);

/**
 * Rate-limit counters shared by every API replica (api/ratelimit/): one row per limited key and window, written by
 * rate-limiter-flexible's RateLimiterDrizzle. UNLOGGED in the migration: counters skip the WAL, and a crash that empties
 * the table only forgives the current windows.
 */
export const rateLimits = pgTable(
  'rate_limits',
  {
    key: text('key').primaryKey(),
    points: integer('points').notNull(),
    expire: ts('expire'),
  },
  (t) => [index('rate_limits_expire_idx').on(t.expire)],
);

/**
 * Outgoing webhook subscriptions (docs/webhooks.md), managed by admins. `events` holds event types or ['*'] for all.
 * During a secret rotation's grace period deliveries are signed with both `secret` and `previous_secret`.
 */
export const webhookSubscriptions = pgTable('webhook_subscriptions', {
  id: uuid('id').primaryKey().defaultRandom(),
  url: text('url').notNull(),
  events: text('events').array().notNull(),
  description: text('description'),
  /** Standard Webhooks format: `whsec_` and the base64 of 32 random bytes. */
  secret: text('secret').notNull(),
  previousSecret: text('previous_secret'),
  previousSecretExpiresAt: ts('previous_secret_expires_at'),
  enabled: boolean('enabled').notNull().default(true),
  disabledReason: text('disabled_reason'),
  consecutiveFailures: integer('consecutive_failures').notNull().default(0),
  createdAt: ts('created_at').notNull().defaultNow(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});

/** The delivery log: one row per (subscription, order event), read from order_events as an outbox. */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    subscriptionId: uuid('subscription_id')
      .notNull()
      .references(() => webhookSubscriptions.id, { onDelete: 'cascade' }),
    eventId: bigint('event_id', { mode: 'number' })
      .notNull()
      .references(() => orderEvents.id, { onDelete: 'cascade' }),
    status: text('status', { enum: WEBHOOK_DELIVERY_STATUSES }).notNull(),
    attempts: integer('attempts').notNull().default(0),
    lastStatusCode: integer('last_status_code'),
    lastError: text('last_error'),
    lastAttemptAt: ts('last_attempt_at'),
    deliveredAt: ts('delivered_at'),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('webhook_deliveries_subscription_event').on(t.subscriptionId, t.eventId),
    index('webhook_deliveries_subscription_status_idx').on(t.subscriptionId, t.status, t.eventId),
  ],
);
