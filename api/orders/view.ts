/** Renders orders and timelines for the API from their rows. */
import { and, asc, desc, eq, getTableColumns, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { exactTimestamp } from '../../db/keyset';
import { orderEvents, orderLines, orders } from '../../db/schema';
import type { OrderStatus } from '../../contract';
import { badRequest } from '../problem';
import type { FoundOrder, OrderRow } from './lookup';

export async function timeline(db: Db, orderId: string) {
  const rows = await db.select().from(orderEvents).where(eq(orderEvents.orderId, orderId)).orderBy(asc(orderEvents.id));
  return rows.map((e) => ({ id: e.id, type: e.type, at: e.createdAt.toISOString(), data: e.data }));
}

export async function orderView(db: Db, found: FoundOrder) {
  if (found.kind === 'workflow') {
    return {
      id: found.orderId,
      status: found.status,
      paymentState: null,
      failureReason: found.running ? null : 'checkout_error',
      currency: null,
      totalCents: null,
      email: null,
      shippingAddress: null,
      lines: [],
      createdAt: null,
      confirmedAt: null,
      timeline: [],
    };
  }
  const row = found.row;
  const lines = await db
    .select()
    .from(orderLines)
    .where(eq(orderLines.orderId, row.id))
    .orderBy(asc(orderLines.productId));
  return {
    id: row.id,
    status: row.status,
    paymentState: row.paymentStatus,
    failureReason: row.failureReason,
    currency: row.currency,
    totalCents: row.totalCents,
    email: row.email,
    shippingAddress: row.shippingAddress,
    lines: lines.map((l) => ({
      productId: l.productId,
      sku: l.sku,
      name: l.name,
      unitPriceCents: l.unitPriceCents,
      quantity: l.quantity,
      lineTotalCents: l.lineTotalCents,
    })),
    createdAt: row.createdAt.toISOString(),
    confirmedAt: row.confirmedAt?.toISOString() ?? null,
    timeline: await timeline(db, row.id),
  };
}

export const summaryView = (row: OrderRow) => ({
  id: row.id,
  status: row.status,
  paymentState: row.paymentStatus,
  currency: row.currency,
  totalCents: row.totalCents,
  createdAt: row.createdAt.toISOString(),
});

/** Keyset cursor over (created_at desc, id desc): opaque base64url of "<created_at to the microsecond>|<id>". */
function encodeCursor(createdKey: string, id: string): string {
  return Buffer.from(`${createdKey}|${id}`).toString('base64url');
}

function decodeCursor(cursor: string): { at: string; id: string } {
  const [at, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const valid =
    at !== undefined && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/.test(at) && !Number.isNaN(Date.parse(at));
  if (!valid || !id || !/^[0-9a-f-]{36}$/i.test(id)) throw badRequest('The cursor is not valid.');
  return { at, id };
}

export async function listOrders(
  db: Db,
  opts: { customerId?: string; status?: OrderStatus; limit: number; cursor?: string },
) {
  const where: SQL[] = [];
  if (opts.customerId) where.push(eq(orders.customerId, opts.customerId));
  if (opts.status) where.push(eq(orders.status, opts.status));
  if (opts.cursor) {
    const c = decodeCursor(opts.cursor);
    where.push(sql`(${orders.createdAt}, ${orders.id}) < (cast(${c.at} as timestamptz), cast(${c.id} as uuid))`);
  }
  const rows = await db
    .select({ ...getTableColumns(orders), createdKey: exactTimestamp(orders.createdAt) })
    .from(orders)
    .where(where.length ? and(...where) : undefined)
    .orderBy(desc(orders.createdAt), desc(orders.id))
    .limit(opts.limit + 1);
  const page = rows.slice(0, opts.limit);
  const last = page[page.length - 1];
  return {
    items: page.map(summaryView),
    nextCursor: rows.length > opts.limit && last ? encodeCursor(last.createdKey, last.id) : null,
  };
}
