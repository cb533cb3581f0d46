/** The demo catalog `make start` loads once: inserted by SKU, so running it again changes nothing already there. */
import path from 'node:path';
import { products } from './schema';
import type { Db } from './client';

type DemoProduct = Pick<
  typeof products.$inferInsert,
  'sku' | 'name' | 'description' | 'category' | 'priceCents' | 'currency' | 'stock'
>;

const p = (
  sku: string,
  name: string,
  category: string,
  priceCents: number,
  stock: number,
  description: string,
): DemoProduct => ({
  sku,
  name,
  description,
  category,
  priceCents,
  currency: 'USD',
  stock,
});

export const DEMO_PRODUCTS: readonly DemoProduct[] = [
  p('COF-ESP-250', 'Espresso Blend 250 g', 'coffee', 1290, 120, 'Dark roast, chocolate and hazelnut notes.'),
  p('COF-ETH-250', 'Ethiopia Yirgacheffe 250 g', 'coffee', 1590, 80, 'Light roast, floral with citrus acidity.'),
  p('COF-COL-1KG', 'Colombia Huila 1 kg', 'coffee', 3990, 40, 'Medium roast, caramel sweetness, whole bean.'),
  p('COF-DEC-250', 'Swiss Water Decaf 250 g', 'coffee', 1390, 60, 'Decaffeinated without solvents, nutty and smooth.'),
  p('COF-CAP-10', 'Lungo Capsules x10', 'coffee', 590, 200, 'Compostable capsules, medium intensity.'),
  p('BRW-V60-02', 'Pour-over Dripper 02', 'brewing', 2490, 35, 'Ceramic cone dripper for one to four cups.'),
  p('BRW-FLT-100', 'Paper Filters x100', 'brewing', 690, 300, 'Bleached cone filters, size 02.'),
  p('BRW-FRP-1L', 'French Press 1 L', 'brewing', 3490, 25, 'Borosilicate glass with a stainless steel frame.'),
  p('BRW-KTL-GN', 'Gooseneck Kettle', 'brewing', 5990, 15, 'Temperature control, 0.9 L, for precise pouring.'),
  p('BRW-GRD-HND', 'Hand Grinder', 'brewing', 8900, 12, 'Conical steel burrs, 40 click settings.'),
  p('BRW-SCL-01', 'Brew Scale with Timer', 'brewing', 3990, 30, 'Weighs to 0.1 g and times your pour.'),
  p('TEA-SEN-100', 'Sencha Green Tea 100 g', 'tea', 1190, 70, 'Steamed Japanese green tea, grassy and fresh.'),
  p('TEA-AST-100', 'Assam Breakfast 100 g', 'tea', 990, 90, 'Malty black tea that takes milk well.'),
  p('TEA-CHM-50', 'Chamomile Flowers 50 g', 'tea', 890, 50, 'Whole flowers, caffeine free.'),
  p('TEA-POT-08', 'Glass Teapot 0.8 L', 'tea', 2990, 20, 'Removable stainless infuser.'),
  p('MUG-STN-350', 'Stoneware Mug 350 ml', 'accessories', 1890, 100, 'Hand-glazed, dishwasher safe.'),
  p(
    'MUG-TRV-450',
    'Insulated Travel Mug 450 ml',
    'accessories',
    2790,
    45,
    'Keeps drinks hot for six hours, leak-proof lid.',
  ),
  p('ACC-CAN-500', 'Airtight Coffee Canister', 'accessories', 2190, 40, 'Vacuum lid keeps 500 g of beans fresh.'),
  p('ACC-MLK-FRT', 'Milk Frother', 'accessories', 1990, 25, 'Battery powered, stainless whisk.'),
  p('ACC-GFT-CRD', 'Gift Card', 'accessories', 2500, 1000, 'Redeemable on any order.'),
  p('ACC-LTD-ONE', 'Limited Edition Cupping Set', 'accessories', 14900, 1, 'Only one made: try checking it out twice.'),
];

/** Inserts the products whose SKU is not there yet; returns how many were new. Never touches existing rows. */
export async function seedCatalog(db: Db): Promise<number> {
  const inserted = await db
    .insert(products)
    .values([...DEMO_PRODUCTS])
    .onConflictDoNothing({ target: products.sku })
    .returning({ id: products.id });
  return inserted.length;
}

if (require.main === module) {
  // `npm run seed`: against DATABASE_URL, or the embedded database under DATA_DIR.
  void (async () => {
    const { loadConfigOrExit } = await import('../lib/entry');
    const { createLogger } = await import('../lib/logger');
    const { createDb } = await import('./client');
    const { runMigrations } = await import('./migrate');
    const config = loadConfigOrExit('seed');
    const log = createLogger(config.logLevel, 'seed');
    const handle = await createDb({ url: config.databaseUrl, dataDir: path.join(config.dataDir, 'pglite') });
    try {
      await runMigrations(handle);
      const added = await seedCatalog(handle.db);
      log.info(
        { db: handle.kind, location: handle.location, added, catalog: DEMO_PRODUCTS.length },
        'demo catalog loaded',
      );
    } finally {
      await handle.close();
    }
  })().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
