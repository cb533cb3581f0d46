/**
 * The invariant checker: after a scenario has drained, compares what the clients were told with the database, the
 * sandbox provider's ledger, the mail server and Temporal. Every violation names its order ids (or product ids).
 * - every 202 reaches exactly one terminal order, and its checkout workflow closed completed;
 * - no order charged twice; captured minus refunded equals the confirmed totals (per order and in sum); no
 *   authorization of a failed or cancelled order left open;
 * - stock conserved per product (initial = remaining + held + committed), never negative; no hold left on a terminal
 *   order; sold units only on confirmed orders;
 * - exactly one email (one Message-ID) per order and kind, for exactly the kinds the order's course calls for.
 */
import type { Client } from '@temporalio/client';
import type postgres from 'postgres';
import type { Catalog, CheckoutRecord } from './load';
import type { DeliveredMail, MailSource } from './mail';

export interface Violation {
  invariant: string;
  detail: string;
  ids: string[];
}

export interface OrderRow {
  id: string;
  status: string;
  failure_reason: string | null;
  total_cents: number;
  confirmed: boolean;
  action_required: boolean;
}

const TERMINAL = new Set(['confirmed', 'failed', 'cancelled']);

/**
 * The emails an order's course calls for, from its final row and its timeline: `required` must each arrive once;
 * `optional` may arrive at most once. The 3-D Secure prompt is optional on a cancelled order: a cancel that reaches the
 * workflow with the authorization's answer makes the prompt pointless, and the workflow skips it.
 */
export function expectedKinds(o: OrderRow): { required: string[]; optional: string[] } {
  const required: string[] = [];
  const optional: string[] = [];
  if (o.action_required) (o.status === 'cancelled' ? optional : required).push('payment_action_required');
  if (o.confirmed) required.push('order_confirmed');
  if (o.status === 'cancelled') required.push(o.confirmed ? 'order_refunded' : 'order_cancelled');
  if (o.status === 'failed') {
    const r = o.failure_reason ?? '';
    required.push(r === 'out_of_stock' || r === 'invalid_cart' ? 'order_cancelled' : 'payment_failed');
  }
  return { required, optional };
}

/** The scope's orders with what the checks need. */
export async function loadOrders(sql: postgres.Sql, customerIds: string[]): Promise<OrderRow[]> {
  return sql<OrderRow[]>`
    select o.id, o.status, o.failure_reason, o.total_cents,
           exists (select 1 from order_events e where e.order_id = o.id and e.type = 'order.confirmed') as confirmed,
           exists (select 1 from order_events e where e.order_id = o.id and e.type = 'payment.action_required')
             as action_required
      from orders o where o.customer_id = any(${customerIds}::uuid[])`;
}

export interface Scope {
  records: CheckoutRecord[];
  catalog: Catalog;
}

export interface DrainState {
  notTerminal: string[];
  held: string[];
  runningWorkflows: number;
  missingMail: string[];
}

/** What still keeps a scope from being drained; all empty/zero when it is. */
export async function drainState(
  sql: postgres.Sql,
  temporal: Client,
  mail: MailSource,
  scope: Scope,
): Promise<DrainState> {
  const customers = scope.records.map((r) => r.customerId);
  const orders = await loadOrders(sql, customers);
  const notTerminal = orders.filter((o) => !TERMINAL.has(o.status)).map((o) => o.id);
  const held = (
    await sql<{ order_id: string }[]>`
      select distinct r.order_id from inventory_reservations r join orders o on o.id = r.order_id
       where o.customer_id = any(${customers}::uuid[]) and r.status = 'held'`
  ).map((r) => r.order_id);
  const runningWorkflows = (await temporal.workflow.count(`WorkflowType = 'checkout' AND ExecutionStatus = 'Running'`))
    .count;
  const got = new Set((await mail.list()).map((m) => `${m.orderId}/${m.kind}`));
  const missingMail = orders
    .filter((o) => TERMINAL.has(o.status))
    .flatMap((o) => expectedKinds(o).required.map((k) => `${o.id}/${k}`))
    .filter((k) => !got.has(k));
  return { notTerminal, held, runningWorkflows, missingMail };
}

export const drained = (s: DrainState) =>
  !s.notTerminal.length && !s.held.length && s.runningWorkflows === 0 && !s.missingMail.length;

export interface CheckResult {
  violations: Violation[];
  orders: OrderRow[];
  /** Same-Message-ID copies: a crash between the SMTP server's acceptance and the tracking write (allowed). */
  redelivered: number;
  /** Orders that exist although their client gave up before hearing 202 (allowed: it may retry the key). */
  unacknowledged: string[];
}

export async function checkInvariants(
  sql: postgres.Sql,
  temporal: Client,
  mail: MailSource,
  scope: Scope,
): Promise<CheckResult> {
  const violations: Violation[] = [];
  const add = (invariant: string, detail: string, ids: string[]) => {
    if (ids.length) violations.push({ invariant, detail, ids });
  };
  const customers = scope.records.map((r) => r.customerId);
  const orders = await loadOrders(sql, customers);
  const byId = new Map(orders.map((o) => [o.id, o]));

  // ---- Every 202 reaches exactly one terminal order.
  const acknowledged = scope.records.filter((r) => r.orderId);
  add(
    'accepted order exists',
    'a client was told 202/200 but no order row exists',
    acknowledged.filter((r) => !byId.has(r.orderId!)).map((r) => r.orderId!),
  );
  add(
    'accepted order is terminal',
    'order not confirmed, failed or cancelled after the drain',
    orders.filter((o) => !TERMINAL.has(o.status)).map((o) => o.id),
  );
  const perCustomer = new Map<string, number>();
  for (const r of await sql<{ customer_id: string; n: number }[]>`
      select customer_id, count(*)::int as n from orders where customer_id = any(${customers}::uuid[])
       group by customer_id having count(*) > 1`)
    perCustomer.set(r.customer_id, r.n);
  add('one order per checkout', 'more than one order for one client checkout (one key per customer)', [
    ...perCustomer.keys(),
  ]);
  const known = new Set(acknowledged.map((r) => r.orderId));
  const unacknowledged = orders.filter((o) => !known.has(o.id)).map((o) => o.id);

  // Checkout workflows must have closed completed: a failed or terminated run is a broken checkout.
  const broken: string[] = [];
  for (let i = 0; i < orders.length; i += 50) {
    const ids = orders.slice(i, i + 50).map((o) => `'order-${o.id}'`);
    for await (const wf of temporal.workflow.list({
      query: `WorkflowId IN (${ids.join(', ')}) AND ExecutionStatus != 'Completed'`,
    })) {
      broken.push(`${wf.workflowId} (${wf.status.name})`);
    }
  }
  add('checkout workflow completed', 'the checkout workflow did not complete', broken);

  // ---- Money, from the sandbox provider's own books.
  const money = await sql<
    {
      order_id: string;
      status: string;
      total_cents: number;
      payments: number;
      captures: number;
      captured: number;
      refunded: number;
      open_auth: boolean;
    }[]
  >`
    with p as (
      select o.id as order_id, sp.id as payment_id, sp.status as sp_status
        from orders o join sandbox_payments sp on sp.idempotency_key like 'order-' || o.id || ':%'
       where o.customer_id = any(${customers}::uuid[]))
    select o.id as order_id, o.status, o.total_cents,
           (select count(*)::int from p where p.order_id = o.id) as payments,
           (select count(*)::int from sandbox_ledger l join p on p.payment_id = l.payment_id
             where p.order_id = o.id and l.operation = 'capture') as captures,
           (select coalesce(sum(l.amount_cents), 0)::int from sandbox_ledger l join p on p.payment_id = l.payment_id
             where p.order_id = o.id and l.operation = 'capture') as captured,
           (select coalesce(sum(l.amount_cents), 0)::int from sandbox_ledger l join p on p.payment_id = l.payment_id
             where p.order_id = o.id and l.operation = 'refund') as refunded,
           exists (select 1 from p where p.order_id = o.id and p.sp_status in ('authorized', 'requires_action'))
             as open_auth
      from orders o where o.customer_id = any(${customers}::uuid[])`;
  add(
    'charged at most once',
    'more than one payment intent or capture for one order',
    money.filter((m) => m.payments > 1 || m.captures > 1).map((m) => m.order_id),
  );
  add(
    'confirmed order captured its total',
    'captured minus refunded differs from the total of a confirmed order',
    money.filter((m) => m.status === 'confirmed' && m.captured - m.refunded !== m.total_cents).map((m) => m.order_id),
  );
  add(
    'failed or cancelled order not charged',
    'captured minus refunded is not 0, or an authorization is still open',
    money.filter((m) => m.status !== 'confirmed' && (m.captured !== m.refunded || m.open_auth)).map((m) => m.order_id),
  );
  const net = money.reduce((a, m) => a + m.captured - m.refunded, 0);
  const confirmedTotal = money.filter((m) => m.status === 'confirmed').reduce((a, m) => a + m.total_cents, 0);
  if (net !== confirmedTotal) {
    violations.push({
      invariant: 'captured - refunded = confirmed totals',
      detail: `ledger net ${net} cents, confirmed orders total ${confirmedTotal} cents`,
      ids: [],
    });
  }

  // ---- Stock, per product of this scope's catalog.
  const productIds = [...scope.catalog.initialStock.keys()];
  const stock = await sql<{ id: string; stock: number; held: number; committed: number }[]>`
    select p.id, p.stock,
           coalesce(sum(r.quantity) filter (where r.status = 'held'), 0)::int as held,
           coalesce(sum(r.quantity) filter (where r.status = 'committed'), 0)::int as committed
      from products p left join inventory_reservations r on r.product_id = p.id
     where p.id = any(${productIds}::uuid[]) group by p.id, p.stock`;
  add(
    'stock conserved',
    'initial stock differs from remaining + held + sold',
    stock
      .filter((s) => scope.catalog.initialStock.get(s.id) !== s.stock + s.held + s.committed)
      .map((s) => `${s.id} (initial ${scope.catalog.initialStock.get(s.id)}, now ${s.stock}+${s.held}+${s.committed})`),
  );
  add(
    'stock never negative',
    'negative stock',
    stock.filter((s) => s.stock < 0).map((s) => s.id),
  );
  const reservations = await sql<{ order_id: string; status: string; order_status: string }[]>`
    select distinct r.order_id, r.status, o.status as order_status
      from inventory_reservations r join orders o on o.id = r.order_id
     where o.customer_id = any(${customers}::uuid[])`;
  add(
    'no hold on a terminal order',
    'a reservation is still held',
    reservations.filter((r) => r.status === 'held' && TERMINAL.has(r.order_status)).map((r) => r.order_id),
  );
  add(
    'sold only when confirmed',
    'a committed reservation on an order that is not confirmed',
    reservations.filter((r) => r.status === 'committed' && r.order_status !== 'confirmed').map((r) => r.order_id),
  );

  // ---- Email: exactly one message (one Message-ID) per order and kind, for exactly the expected kinds.
  const mails = (await mail.list()).filter((m) => byId.has(m.orderId));
  const byKey = new Map<string, DeliveredMail[]>();
  for (const m of mails) {
    const key = `${m.orderId}/${m.kind}`;
    byKey.set(key, [...(byKey.get(key) ?? []), m]);
  }
  let redelivered = 0;
  const missing: string[] = [];
  const twice: string[] = [];
  const unexpected: string[] = [];
  for (const o of orders) {
    const { required, optional } = expectedKinds(o);
    for (const kind of [...required, ...optional]) {
      const got = byKey.get(`${o.id}/${kind}`) ?? [];
      const ids = new Set(got.map((m) => m.messageId));
      if (ids.size === 0 && required.includes(kind)) missing.push(`${o.id}/${kind}`);
      if (ids.size > 1) twice.push(`${o.id}/${kind}`);
      redelivered += got.length - ids.size;
    }
    const allowed = new Set([...required, ...optional]);
    for (const m of mails.filter((x) => x.orderId === o.id && !allowed.has(x.kind)))
      unexpected.push(`${o.id}/${m.kind}`);
  }
  add('email sent', 'an email the order calls for never arrived', missing);
  add('one email per order and kind', 'two different messages for one order and kind', twice);
  add('no unexpected email', "an email of a kind the order's course does not call for", [...new Set(unexpected)]);

  return { violations, orders, redelivered, unacknowledged };
}
