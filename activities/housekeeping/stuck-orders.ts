/**
 * Stuck orders: an open order (pending, awaiting payment) whose checkout workflow has closed, e.g. after an operator's
 * `temporal workflow terminate`, holds stock that nothing will release. Housekeeping asks Temporal whether the
 * workflow still runs, flags the order for an operator (orders.needs_attention and `order.needs_attention`) and then
 * releases its stock hold. Money and the order's status are the operator's call (docs/operating.md).
 */
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import { and, asc, eq, gt, inArray, lt } from 'drizzle-orm';
import {
  durationMs,
  NEEDS_ATTENTION_EVENT,
  WORKFLOW_CLOSED_REASON,
  type OrderStatus,
  type StuckOrderOutcome,
} from '../../contract';
import { recordEvent } from '../../db/events';
import { orders } from '../../db/schema';
import type { ActivityDeps } from '../deps';
import { releaseStock } from '../inventory/activities';

const OPEN: OrderStatus[] = ['pending', 'awaiting_payment'];

export interface StuckOrderCandidate {
  orderId: string;
  workflowId: string;
}

/** The workflow's execution status as Temporal reports it ('RUNNING', 'TERMINATED', ...), or NOT_FOUND. */
async function workflowStatus(workflowId: string): Promise<string> {
  try {
    const described = await Context.current().client.workflow.getHandle(workflowId).describe();
    return described.status.name;
  } catch (err) {
    // Gone from the namespace (retention passed): closed long ago.
    if (err instanceof WorkflowNotFoundError) return 'NOT_FOUND';
    throw err;
  }
}

export function createStuckOrderActivities(deps: ActivityDeps) {
  const { db } = deps;
  return {
    /**
     * Open, unflagged orders unchanged for ORDER_STUCK_AFTER, by id after `after` (keyset pages). A healthy checkout
     * changes its order within seconds, or waits at most PAYMENT_CONFIRMATION_TIMEOUT, so this list is short.
     */
    async listStuckOrderCandidates(input: { after?: string; limit: number }): Promise<StuckOrderCandidate[]> {
      const cutoff = new Date(deps.clock().getTime() - durationMs(deps.config.orderStuckAfter));
      return db
        .select({ orderId: orders.id, workflowId: orders.workflowId })
        .from(orders)
        .where(
          and(
            inArray(orders.status, OPEN),
            eq(orders.needsAttention, false),
            lt(orders.updatedAt, cutoff),
            input.after ? gt(orders.id, input.after) : undefined,
          ),
        )
        .orderBy(asc(orders.id))
        .limit(input.limit);
    },

    /**
     * Settles one candidate if its workflow has closed: flags the order, then (unless its payment was captured, when
     * the operator may still confirm it) releases its held stock, both in one transaction on the locked order row.
     * Running it again finds the order flagged or settled and changes nothing.
     */
    async settleStuckOrder(input: StuckOrderCandidate): Promise<StuckOrderOutcome> {
      const status = await workflowStatus(input.workflowId);
      if (status === 'RUNNING') return 'running';
      const now = deps.clock();
      return db.transaction(async (tx) => {
        const [order] = await tx
          .select({ status: orders.status, paymentStatus: orders.paymentStatus, flagged: orders.needsAttention })
          .from(orders)
          .where(eq(orders.id, input.orderId))
          .for('update');
        if (!order || !OPEN.includes(order.status)) return 'settled_meanwhile';
        if (!order.flagged) {
          await tx.update(orders).set({ needsAttention: true, updatedAt: now }).where(eq(orders.id, input.orderId));
          await recordEvent(tx, {
            orderId: input.orderId,
            type: NEEDS_ATTENTION_EVENT,
            data: { reason: WORKFLOW_CLOSED_REASON, workflowId: input.workflowId, workflowStatus: status },
            extra: WORKFLOW_CLOSED_REASON,
            at: now,
          });
        }
        if (order.paymentStatus === 'captured') return 'flagged';
        const { released } = await releaseStock(tx, now, {
          orderId: input.orderId,
          reason: WORKFLOW_CLOSED_REASON,
          statuses: ['held'],
        });
        return released ? 'released' : 'flagged';
      });
    },
  };
}
