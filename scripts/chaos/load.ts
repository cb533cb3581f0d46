/**
 * The load driver: N checkouts through the balancer, each from its own customer and cart, with a mix of sandbox cards
 * (activities/payments/sandbox.ts): confirming cards, 3-D Secure confirmed by the signed payment webhook, declines,
 * flaky cards, a lost first answer, a product that runs out, and cancels (before payment and within the refund window).
 * It records what each client was told; the checker compares that with what happened.
 */
import { randomUUID } from 'node:crypto';
import { mintToken } from '../../api/auth';
import { signWebhook, SIGNATURE_HEADER } from '../../api/orders/webhook-signature';
import { GaveUp, HttpClient } from './http';

export const KINDS = {
  visa: 30,
  threeDS: 14,
  declined: 8,
  insufficientFunds: 4,
  flaky: 10,
  timeoutAfterCharge: 6,
  cancelAwaitingPayment: 8,
  cancelAfterConfirm: 8,
  scarce: 12,
} as const;
export type Kind = keyof typeof KINDS;

const TOKEN: Record<Kind, string> = {
  visa: 'tok_visa',
  threeDS: 'tok_threeDSecureRequired',
  declined: 'tok_chargeDeclined',
  insufficientFunds: 'tok_chargeDeclinedInsufficientFunds',
  flaky: 'tok_flaky',
  timeoutAfterCharge: 'tok_timeoutAfterCharge',
  cancelAwaitingPayment: 'tok_threeDSecureRequired',
  cancelAfterConfirm: 'tok_visa',
  scarce: 'tok_visa',
};

/** The kinds in proportion, shuffled by a fixed seed so two runs of a scenario drive the same mix. */
export function planKinds(n: number, seed = 19): Kind[] {
  const total = Object.values(KINDS).reduce((a, b) => a + b, 0);
  const kinds: Kind[] = [];
  for (const [kind, weight] of Object.entries(KINDS) as [Kind, number][]) {
    for (let i = 0; i < Math.round((weight * n) / total); i++) kinds.push(kind);
  }
  while (kinds.length < n) kinds.push('visa');
  kinds.length = n;
  let s = seed;
  for (let i = kinds.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [kinds[i], kinds[j]] = [kinds[j]!, kinds[i]!];
  }
  return kinds;
}

export interface Catalog {
  /** Product id -> stock it was created with. */
  initialStock: Map<string, number>;
  regular: { id: string; priceCents: number }[];
  scarce: { id: string; priceCents: number };
}

export interface CheckoutRecord {
  index: number;
  kind: Kind;
  customerId: string;
  idempotencyKey: string;
  orderId?: string;
  /** 202 (started), 200 (a retry found it), another 4xx, or 'gave_up'. */
  accepted: number | 'gave_up' | 'not_sent';
  /** What happened to the follow-up (webhook or cancel), if the kind has one. */
  followUp?: string;
  error?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const FOLLOW_UP_WAIT_MS = 120_000;

const address = {
  name: 'Chaos Monkey',
  line1: '1 Fault Lane',
  city: 'Berlin',
  postalCode: '10115',
  country: 'DE',
};

export class Load {
  readonly records: CheckoutRecord[] = [];
  /** Checkouts whose POST /checkout has been answered (or given up on). */
  answered = 0;
  private adminToken: Promise<string>;

  constructor(
    readonly http: HttpClient,
    readonly secrets: { jwt: string; webhook: string },
    readonly tag: string,
  ) {
    this.adminToken = mintToken(secrets.jwt, { sub: randomUUID(), role: 'admin' });
  }

  /** Creates this run's products: regular ones with plenty of stock, and one that runs out part-way. */
  async createCatalog(scarceUnits: number): Promise<Catalog> {
    const token = await this.adminToken;
    const create = async (sku: string, priceCents: number, stock: number) => {
      const res = await this.http.request('POST', '/products', {
        token,
        body: { sku, name: `Chaos ${sku}`, category: 'chaos', priceCents, currency: 'EUR', stock },
      });
      if (res.status !== 201)
        throw new Error(`creating product ${sku}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
      return { id: (res.body as { id: string }).id, priceCents };
    };
    const initialStock = new Map<string, number>();
    const regular = [];
    for (const [i, price] of [1299, 2450, 799, 15000].entries()) {
      const p = await create(`${this.tag}-r${i}`, price, 100_000);
      initialStock.set(p.id, 100_000);
      regular.push(p);
    }
    const scarce = await create(`${this.tag}-scarce`, 4999, scarceUnits);
    initialStock.set(scarce.id, scarceUnits);
    return { initialStock, regular, scarce };
  }

  /** Runs the checkouts `concurrency` at a time; every follow-up waits bounded. */
  async run(catalog: Catalog, kinds: Kind[], concurrency: number): Promise<void> {
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < kinds.length) {
          const index = next++;
          await this.one(catalog, index, kinds[index]!);
        }
      }),
    );
  }

  private async one(catalog: Catalog, index: number, kind: Kind): Promise<void> {
    const customerId = randomUUID();
    const rec: CheckoutRecord = { index, kind, customerId, idempotencyKey: randomUUID(), accepted: 'not_sent' };
    this.records.push(rec);
    const token = await mintToken(this.secrets.jwt, { sub: customerId, role: 'customer' });
    try {
      const cart = await this.http.request('POST', '/carts', { token, body: {} });
      if (cart.status !== 201) throw new Error(`POST /carts: HTTP ${cart.status}`);
      const cartId = (cart.body as { id: string }).id;
      const lines =
        kind === 'scarce'
          ? [{ productId: catalog.scarce.id, quantity: 1 }]
          : [
              { productId: catalog.regular[index % catalog.regular.length]!.id, quantity: 1 + (index % 3) },
              ...(index % 2
                ? [{ productId: catalog.regular[(index + 1) % catalog.regular.length]!.id, quantity: 1 }]
                : []),
            ];
      for (const line of lines) {
        // A retried add may count twice (it adds to the line); the checker reads what the order took, so no matter.
        const add = await this.http.request('POST', `/carts/${cartId}/items`, { token, body: line });
        if (add.status >= 300) throw new Error(`adding to the cart: HTTP ${add.status} ${JSON.stringify(add.body)}`);
      }
      const res = await this.http.request('POST', '/checkout', {
        token,
        headers: { 'idempotency-key': rec.idempotencyKey },
        body: {
          cartId,
          email: `c${index}-${this.tag}@chaos.test`,
          shippingAddress: address,
          payment: { method: 'card', token: TOKEN[kind] },
        },
      });
      rec.accepted = res.status;
      if (res.status === 202 || res.status === 200) rec.orderId = (res.body as { orderId: string }).orderId;
      else rec.error = JSON.stringify(res.body).slice(0, 300);
    } catch (err) {
      rec.accepted = err instanceof GaveUp ? 'gave_up' : rec.accepted;
      rec.error = err instanceof Error ? err.message : String(err);
    } finally {
      this.answered += 1;
    }
    if (rec.orderId) await this.followUp(rec, token).catch((err: unknown) => (rec.followUp = `error: ${String(err)}`));
  }

  /** Waits (bounded) for the order to reach one of `statuses`; returns the status it reached, or undefined. */
  private async waitFor(orderId: string, token: string, statuses: string[]): Promise<string | undefined> {
    const deadline = Date.now() + FOLLOW_UP_WAIT_MS;
    while (Date.now() < deadline) {
      const res = await this.http.request('GET', `/orders/${orderId}`, { token });
      const status = res.status === 200 ? (res.body as { status: string }).status : undefined;
      if (status && (statuses.includes(status) || status === 'failed' || status === 'cancelled')) return status;
      await sleep(300);
    }
    return undefined;
  }

  private async followUp(rec: CheckoutRecord, token: string): Promise<void> {
    const orderId = rec.orderId!;
    if (rec.kind === 'threeDS') {
      const status = await this.waitFor(orderId, token, ['awaiting_payment']);
      if (status !== 'awaiting_payment') {
        rec.followUp = `no webhook: order ${status ?? 'never awaited payment'}`;
        return;
      }
      const raw = JSON.stringify({ type: 'payment_intent.succeeded', data: { orderId } });
      const res = await this.http.request('POST', '/payments/webhook', {
        rawBody: raw,
        headers: { [SIGNATURE_HEADER]: signWebhook(this.secrets.webhook, raw) },
      });
      rec.followUp = res.status === 200 ? 'webhook' : `webhook HTTP ${res.status}`;
    } else if (rec.kind === 'cancelAwaitingPayment' || rec.kind === 'cancelAfterConfirm') {
      const want = rec.kind === 'cancelAwaitingPayment' ? 'awaiting_payment' : 'confirmed';
      const status = await this.waitFor(orderId, token, [want]);
      if (status !== want) {
        rec.followUp = `no cancel: order ${status ?? `never ${want}`}`;
        return;
      }
      const res = await this.http.request('POST', `/orders/${orderId}/cancel`, { token, body: { reason: 'chaos' } });
      rec.followUp = res.status === 200 ? 'cancelled' : `cancel HTTP ${res.status}`;
    }
  }
}
