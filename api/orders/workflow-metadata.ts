/**
 * What a checkout carries for operators from its start: the search attributes known before the workflow runs
 * (contract/search-attributes.ts; the workflow upserts the rest as the order moves) and the user metadata the Web UI
 * shows in its workflow list (static summary) and on the workflow's page (static details). No personal data: the
 * customer is named by id only, never by email or address.
 */
import type { SearchAttributePair } from '@temporalio/common';
import {
  CUSTOMER_ID_KEY,
  NEEDS_ATTENTION_KEY,
  ORDER_STATUS_KEY,
  formatMoney,
  type CheckoutInput,
} from '../../contract';

/** The cart as priced when the checkout was accepted (the workflow snapshots it again in createOrder). */
export interface BasketSummary {
  items: number;
  totalCents: number;
  currency: string;
}

export interface CheckoutStartMetadata {
  typedSearchAttributes: SearchAttributePair[];
  staticSummary: string;
  staticDetails: string;
}

/** "3 items · $149.00 · customer 6f1c2a9e" (the id's first block, as order references are shown). */
export function checkoutSummary(basket: BasketSummary, customerId: string): string {
  const items = `${basket.items} ${basket.items === 1 ? 'item' : 'items'}`;
  return `${items} · ${formatMoney(basket.totalCents, basket.currency)} · customer ${customerId.slice(0, 8)}`;
}

export function checkoutStartMetadata(input: CheckoutInput, basket: BasketSummary): CheckoutStartMetadata {
  return {
    typedSearchAttributes: [
      { key: ORDER_STATUS_KEY, value: 'pending' },
      { key: CUSTOMER_ID_KEY, value: input.customerId },
      { key: NEEDS_ATTENTION_KEY, value: false },
    ],
    staticSummary: checkoutSummary(basket, input.customerId),
    staticDetails: [
      `**Order** ${input.orderId}`,
      `**Customer** ${input.customerId}`,
      `**Cart** ${input.request.cartId}`,
      `**Items** ${basket.items}, ${formatMoney(basket.totalCents, basket.currency)} when accepted`,
      `**Payment deadline** ${input.paymentConfirmationTimeout} after stock is held; cancellable ${input.cancellationWindow} after confirmation`,
    ].join('\n\n'),
  };
}
