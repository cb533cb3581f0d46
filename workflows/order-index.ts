/**
 * Publishes an order's search attributes (contract/search-attributes.ts) from inside its checkout, so operators can
 * list orders by status, payment, customer, total and NeedsAttention. Each publish upserts only what changed since the
 * last one: every upsert is a history event and a visibility write.
 */
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { upsertSearchAttributes } from '@temporalio/workflow';
import {
  CUSTOMER_ID_KEY,
  NEEDS_ATTENTION_KEY,
  ORDER_STATUS_KEY,
  ORDER_TOTAL_CENTS_KEY,
  PAYMENT_STATE_KEY,
  type OrderSearchFields,
} from '../contract';

export class OrderIndex {
  private published: Partial<Record<string, SearchAttributeUpdatePair['value']>> = {};

  /**
   * @param enabled false for checkouts recorded before search attributes (they replay without these commands)
   * @param customerId published with the first change, for checkouts not started by the API (which sets it at start)
   */
  constructor(
    private readonly enabled: boolean,
    private readonly customerId: string,
  ) {}

  publish(fields: OrderSearchFields): void {
    if (!this.enabled) return;
    const wanted: SearchAttributeUpdatePair[] = [
      { key: ORDER_STATUS_KEY, value: fields.status },
      { key: CUSTOMER_ID_KEY, value: this.customerId },
      { key: NEEDS_ATTENTION_KEY, value: fields.needsAttention },
    ];
    if (fields.paymentState !== null) wanted.push({ key: PAYMENT_STATE_KEY, value: fields.paymentState });
    if (fields.totalCents !== null) wanted.push({ key: ORDER_TOTAL_CENTS_KEY, value: fields.totalCents });
    const changed = wanted.filter((pair) => this.published[pair.key.name] !== pair.value);
    if (changed.length === 0) return;
    upsertSearchAttributes(changed);
    for (const pair of changed) this.published[pair.key.name] = pair.value;
  }
}
