/**
 * Carts: reads price every line at current prices in one join; writes lock the cart row so lines, the cap and the
 * cart currency change together. A cart belongs to its customer; admins may act on any cart (support).
 */
import { and, asc, eq, sql } from 'drizzle-orm';
import { MAX_CART_TOTAL_CENTS, MAX_LINE_QUANTITY } from '../../contract';
import type { Db } from '../../db/client';
import { cartLines, carts, customers, products } from '../../db/schema';
import type { AuthUser } from '../auth';
import { cartTotalTooLarge, notFound, unprocessable } from '../problem';
import { isUuid, pgErrorCode } from './product-row';

export interface CartView {
  id: string;
  customerId: string;
  lines: {
    productId: string;
    name: string;
    quantity: number;
    unitPriceCents: number;
    lineTotalCents: number;
    inStock: boolean;
    available: number;
    purchasable: boolean;
  }[];
  totalCents: number;
  currency: string | null;
}

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

export function createCartStore(db: Db) {
  const ph = sql.placeholder;
  const readQuery = (owned: boolean) =>
    db
      .select({
        id: carts.id,
        customerId: carts.customerId,
        currency: carts.currency,
        productId: cartLines.productId,
        quantity: cartLines.quantity,
        name: products.name,
        priceCents: products.priceCents,
        stock: products.stock,
        active: products.active,
        archivedAt: products.archivedAt,
      })
      .from(carts)
      .leftJoin(cartLines, eq(cartLines.cartId, carts.id))
      .leftJoin(products, eq(products.id, cartLines.productId))
      .where(owned ? and(eq(carts.id, ph('id')), eq(carts.customerId, ph('owner'))) : eq(carts.id, ph('id')))
      .orderBy(asc(cartLines.addedAt), asc(cartLines.productId))
      .prepare(owned ? 'catalog_cart_owned' : 'catalog_cart_any');
  const readOwned = readQuery(true);
  const readAny = readQuery(false);

  const missingCart = (id: string) => notFound(`Cart ${id}`);

  async function read(id: string, user: AuthUser): Promise<CartView> {
    if (!isUuid(id)) throw missingCart(id);
    const rows =
      user.role === 'admin' ? await readAny.execute({ id }) : await readOwned.execute({ id, owner: user.sub });
    const first = rows[0];
    if (!first) throw missingCart(id);
    const lines: CartView['lines'] = [];
    let totalCents = 0;
    for (const r of rows) {
      if (r.productId === null || r.quantity === null || r.priceCents === null || r.stock === null) continue;
      const lineTotalCents = r.priceCents * r.quantity;
      totalCents += lineTotalCents;
      lines.push({
        productId: r.productId,
        name: r.name ?? '',
        quantity: r.quantity,
        unitPriceCents: r.priceCents,
        lineTotalCents,
        inStock: r.quantity <= r.stock,
        available: r.stock,
        purchasable: r.active === true && r.archivedAt === null,
      });
    }
    return {
      id: first.id,
      customerId: first.customerId,
      lines,
      totalCents,
      currency: lines.length ? first.currency : null,
    };
  }

  /** Locks the caller's cart row for the rest of the transaction; 404 when it is not theirs. */
  async function lockCart(tx: Tx, id: string, user: AuthUser) {
    if (!isUuid(id)) throw missingCart(id);
    const owned = user.role === 'admin' ? eq(carts.id, id) : and(eq(carts.id, id), eq(carts.customerId, user.sub));
    const [cart] = await tx.select({ id: carts.id, currency: carts.currency }).from(carts).where(owned).for('update');
    if (!cart) throw missingCart(id);
    return cart;
  }

  /**
   * Refuses (rolling the transaction back) a change that takes the cart past MAX_CART_TOTAL_CENTS at current prices,
   * so a cart never holds more than an order can: the total is summed as bigint, which no cart can overflow.
   */
  async function checkTotal(tx: Tx, id: string) {
    const [row] = await tx
      .select({ total: sql<string>`coalesce(sum(${products.priceCents}::bigint * ${cartLines.quantity}), 0)::text` })
      .from(cartLines)
      .innerJoin(products, eq(products.id, cartLines.productId))
      .where(eq(cartLines.cartId, id));
    const total = Number(row?.total ?? 0);
    if (total > MAX_CART_TOTAL_CENTS) throw cartTotalTooLarge(total);
  }

  /** After a line goes away: an empty cart no longer has a currency. */
  async function touch(tx: Tx, id: string) {
    await tx
      .update(carts)
      .set({
        updatedAt: sql`now()`,
        currency: sql`case when exists (select 1 from ${cartLines} where ${cartLines.cartId} = ${id}) then ${carts.currency} end`,
      })
      .where(eq(carts.id, id));
  }

  return {
    read,

    async create(user: AuthUser): Promise<string> {
      await db.insert(customers).values({ id: user.sub }).onConflictDoNothing();
      const [cart] = await db.insert(carts).values({ customerId: user.sub }).returning({ id: carts.id });
      return cart!.id;
    },

    async remove(id: string, user: AuthUser): Promise<void> {
      if (!isUuid(id)) throw missingCart(id);
      const owned = user.role === 'admin' ? eq(carts.id, id) : and(eq(carts.id, id), eq(carts.customerId, user.sub));
      const deleted = await db.delete(carts).where(owned).returning({ id: carts.id });
      if (deleted.length === 0) throw missingCart(id);
    },

    /** Adds to a line atomically (concurrent adds sum); refuses unknown or unsellable products, other currencies, > cap. */
    async addItem(id: string, user: AuthUser, productId: string, quantity: number): Promise<void> {
      try {
        await db.transaction(async (tx) => {
          const cart = await lockCart(tx, id, user);
          const [product] = await tx
            .select({ currency: products.currency, active: products.active, archivedAt: products.archivedAt })
            .from(products)
            .where(eq(products.id, productId))
            .for('key share');
          if (!product || !product.active || product.archivedAt) {
            throw unprocessable(`Product ${productId} does not exist or is not for sale.`, { productId });
          }
          if (cart.currency && cart.currency !== product.currency) {
            throw unprocessable(`The cart is in ${cart.currency}; this product is priced in ${product.currency}.`, {
              cartCurrency: cart.currency,
              productCurrency: product.currency,
            });
          }
          const [line] = await tx
            .insert(cartLines)
            .values({ cartId: id, productId, quantity })
            .onConflictDoUpdate({
              target: [cartLines.cartId, cartLines.productId],
              set: { quantity: sql`${cartLines.quantity} + excluded.quantity` },
              setWhere: sql`${cartLines.quantity} + excluded.quantity <= ${MAX_LINE_QUANTITY}`,
            })
            .returning({ quantity: cartLines.quantity });
          if (!line) {
            throw unprocessable(`A cart line holds at most ${MAX_LINE_QUANTITY} units; this would exceed it.`, {
              maxQuantity: MAX_LINE_QUANTITY,
            });
          }
          await checkTotal(tx, id);
          await tx
            .update(carts)
            .set({ currency: product.currency, updatedAt: sql`now()` })
            .where(eq(carts.id, id));
        });
      } catch (err) {
        // The product was deleted between our check and the insert.
        if (pgErrorCode(err) === '23503')
          throw unprocessable(`Product ${productId} does not exist or is not for sale.`, { productId });
        throw err;
      }
    },

    /** Sets a line's quantity; 0 removes it. 404 when the cart or the line is not there. */
    async setItem(id: string, user: AuthUser, productId: string, quantity: number): Promise<void> {
      await db.transaction(async (tx) => {
        await lockCart(tx, id, user);
        if (!isUuid(productId)) throw notFound(`Product ${productId} in cart ${id}`);
        const where = and(eq(cartLines.cartId, id), eq(cartLines.productId, productId));
        const changed =
          quantity === 0
            ? await tx.delete(cartLines).where(where).returning({ q: cartLines.quantity })
            : await tx.update(cartLines).set({ quantity }).where(where).returning({ q: cartLines.quantity });
        if (changed.length === 0) throw notFound(`Product ${productId} in cart ${id}`);
        if (quantity > 0) await checkTotal(tx, id);
        await touch(tx, id);
      });
    },
  };
}

export type CartStore = ReturnType<typeof createCartStore>;
