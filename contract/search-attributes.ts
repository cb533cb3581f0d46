/**
 * The checkout's custom search attributes: how operators find orders in the Web UI and with
 * `temporal workflow list --query`. Each key is the `{ name, type }` pair the SDK's defineSearchAttributeKey() returns
 * (contract/ imports no packages), usable as a typed search-attribute key on the client and in the workflow.
 * Every Temporal server Orderly runs on registers them: scripts/temporal-dev-server.ts (make start, tests),
 * deploy/temporal/create-namespace.sh (make cluster, docker compose).
 */
import type { OrderStatus, PaymentState } from './orders';

export const ORDER_STATUS_KEY = { name: 'OrderStatus', type: 'KEYWORD' } as const;
/** Absent until the payment is first authorized. */
export const PAYMENT_STATE_KEY = { name: 'PaymentState', type: 'KEYWORD' } as const;
export const CUSTOMER_ID_KEY = { name: 'CustomerId', type: 'KEYWORD' } as const;
/** Absent until the order is created (the workflow prices the cart). */
export const ORDER_TOTAL_CENTS_KEY = { name: 'OrderTotalCents', type: 'INT' } as const;
/** A compensation ran out of retries and waits for an operator, or the order is stuck past its deadline. */
export const NEEDS_ATTENTION_KEY = { name: 'NeedsAttention', type: 'BOOL' } as const;

export const ORDER_SEARCH_ATTRIBUTES = [
  ORDER_STATUS_KEY,
  PAYMENT_STATE_KEY,
  CUSTOMER_ID_KEY,
  ORDER_TOTAL_CENTS_KEY,
  NEEDS_ATTENTION_KEY,
] as const;

/** The type names `temporal operator search-attribute create --type` and `start-dev --search-attribute` take. */
const CLI_TYPE_NAMES = { KEYWORD: 'Keyword', INT: 'Int', BOOL: 'Bool' } as const;

/** `Name=Type` pairs, as the CLI registers them: `OrderStatus=Keyword`, ... */
export function searchAttributeRegistrations(): string[] {
  return ORDER_SEARCH_ATTRIBUTES.map((key) => `${key.name}=${CLI_TYPE_NAMES[key.type]}`);
}

/** What the checkout publishes about an order; the workflow upserts only the fields that changed. */
export interface OrderSearchFields {
  status: OrderStatus;
  paymentState: PaymentState | null;
  totalCents: number | null;
  needsAttention: boolean;
}
