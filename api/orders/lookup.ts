/** Finding an order for a caller: the database row, or (in the moment before createOrder runs) its workflow. */
import { WorkflowNotFoundError } from '@temporalio/client';
import { eq } from 'drizzle-orm';
import { orders } from '../../db/schema';
import { checkoutWorkflowId, type CheckoutMemo, type OrderStatus } from '../../contract';
import type { AuthUser } from '../auth';
import type { AppDeps } from '../env';
import { notFound } from '../problem';

export type OrderRow = typeof orders.$inferSelect;

export type FoundOrder =
  | { kind: 'row'; row: OrderRow }
  /** Accepted, but the workflow has not written the row yet (or never will: it failed before). */
  | { kind: 'workflow'; orderId: string; status: OrderStatus; running: boolean };

const canSee = (user: AuthUser, customerId: string | undefined) => user.role === 'admin' || user.sub === customerId;

export async function describeCheckout(deps: AppDeps, orderId: string) {
  try {
    const desc = await deps.temporal.workflow.getHandle(checkoutWorkflowId(orderId)).describe();
    return { running: desc.status.name === 'RUNNING', memo: (desc.memo ?? {}) as Partial<CheckoutMemo> };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

/** Strangers get the same 404 as a missing order, so ids leak nothing. */
export async function findOrder(deps: AppDeps, user: AuthUser, orderId: string): Promise<FoundOrder> {
  const [row] = await deps.db.select().from(orders).where(eq(orders.id, orderId));
  if (row) {
    if (!canSee(user, row.customerId)) throw notFound('Order');
    return { kind: 'row', row };
  }
  const wf = await describeCheckout(deps, orderId);
  if (!wf || !canSee(user, wf.memo.customerId)) throw notFound('Order');
  return { kind: 'workflow', orderId, status: wf.running ? 'pending' : 'failed', running: wf.running };
}
