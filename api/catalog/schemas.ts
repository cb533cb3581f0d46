/** Zod schemas of the catalog and cart API: they validate requests and generate the OpenAPI document. */
import { z } from '@hono/zod-openapi';
import { MAX_LINE_QUANTITY, MAX_PRICE_CENTS } from '../../contract';
import { multilineText, NON_BLANK_TEXT, text } from '../text';

const MAX_INT = 1_000_000_000;

const CURRENCIES = new Set(Intl.supportedValuesOf('currency'));

const currency = z
  .string()
  .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code: three upper-case letters')
  .refine((v) => CURRENCIES.has(v), 'is not an ISO 4217 currency code')
  .openapi({ example: 'EUR', enum: [...CURRENCIES] });

const productFields = {
  sku: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'letters, digits, . _ - (1 to 64)')
    .openapi({ example: 'TEA-001' }),
  name: text().trim().min(1).max(200).openapi({ example: 'Green tea', pattern: NON_BLANK_TEXT }),
  description: multilineText().max(5000),
  category: text().trim().min(1).max(100).openapi({ example: 'tea', pattern: NON_BLANK_TEXT }),
  priceCents: z.number().int().min(0).max(MAX_PRICE_CENTS).openapi({ example: 1250 }),
  currency,
  stock: z.number().int().min(0).max(MAX_INT).openapi({ example: 40 }),
  active: z.boolean(),
};

/** POST /products and PUT /products/:id (a full replace: omitted description and active take their defaults). */
export const ProductInputSchema = z
  .strictObject({
    ...productFields,
    description: productFields.description.default(''),
    active: productFields.active.default(true),
  })
  .openapi('ProductInput');

export const ProductPatchSchema = z
  .strictObject({
    sku: productFields.sku.optional(),
    name: productFields.name.optional(),
    description: productFields.description.optional(),
    category: productFields.category.optional(),
    priceCents: productFields.priceCents.optional(),
    currency: productFields.currency.optional(),
    stock: productFields.stock.optional(),
    active: productFields.active.optional(),
  })
  .refine((v) => Object.keys(v).length > 0, 'name at least one field to change')
  .openapi('ProductPatch', { minProperties: 1 });

export type ProductInput = z.infer<typeof ProductInputSchema>;
export type ProductPatch = z.infer<typeof ProductPatchSchema>;

export const ProductSchema = z
  .object({
    id: z.uuid(),
    sku: z.string(),
    name: z.string(),
    description: z.string(),
    category: z.string(),
    priceCents: z.number().int(),
    currency: z.string(),
    stock: z.number().int(),
    active: z.boolean(),
    archivedAt: z.iso.datetime().nullable(),
    version: z.number().int(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .openapi('Product');

export const ProductPageSchema = z
  .object({ items: z.array(ProductSchema), nextCursor: z.string().nullable() })
  .openapi('ProductPage');

export const SORTS = ['price', '-price', 'name', '-name', 'createdAt', '-createdAt', 'relevance'] as const;

const uint = (max: number) =>
  z
    .string()
    .regex(/^\d{1,10}$/, 'must be a non-negative integer')
    .transform(Number)
    .pipe(z.number().int().max(max));
const bool = z.enum(['true', 'false']).transform((v) => v === 'true');

/** Query parameters that choose which products a listing (and its facets) covers. */
const listFilterFields = {
  category: text().min(1).max(100).optional(),
  minPrice: uint(MAX_INT)
    .optional()
    .openapi({ param: { description: 'Lowest priceCents, inclusive.' } }),
  maxPrice: uint(MAX_INT)
    .optional()
    .openapi({ param: { description: 'Highest priceCents, inclusive.' } }),
  inStock: bool.optional().openapi({ param: { description: 'true: stock > 0; false: stock = 0.' } }),
  q: text()
    .max(200)
    .optional()
    .openapi({
      param: {
        description:
          'Search over name, category and description: every word must match as a prefix, or, for words of 4 ' +
          'letters or more, as a close indexed word (typo tolerance). Results come by relevance unless sort is given.',
      },
    }),
  includeInactive: bool.optional().openapi({ param: { description: 'Admin only: also list inactive products.' } }),
  includeArchived: bool.optional().openapi({ param: { description: 'Admin only: also list archived products.' } }),
};

const priceRangeInOrder = (v: { minPrice?: number; maxPrice?: number }) =>
  v.minPrice === undefined || v.maxPrice === undefined || v.minPrice <= v.maxPrice;
const PRICE_RANGE_MESSAGE = { message: 'minPrice must not exceed maxPrice', path: ['minPrice'] };

export const ProductListQuerySchema = z
  .strictObject({
    limit: uint(100)
      .pipe(z.number().min(1, 'must be between 1 and 100'))
      .optional()
      .openapi({ param: { description: 'Page size, 1 to 100 (default 20).' }, example: '20' }),
    cursor: text()
      .min(1)
      .max(1024)
      .optional()
      .openapi({
        pattern: '^[A-Za-z0-9_-]+$',
        param: { description: 'nextCursor of the previous page (opaque); any other is 400.' },
      }),
    ...listFilterFields,
    sort: z
      .enum(SORTS)
      .optional()
      .openapi({
        param: {
          description:
            'price, name or createdAt; a leading - sorts descending. relevance (best first) is the default with q, ' +
            'and without q it means -createdAt, the default otherwise.',
        },
      }),
    order: z
      .enum(['asc', 'desc'])
      .optional()
      .openapi({ param: { description: 'Alternative to the - prefix.' } }),
  })
  .refine(priceRangeInOrder, PRICE_RANGE_MESSAGE)
  .refine((v) => !(v.order && v.sort?.startsWith('-') && v.order === 'asc'), {
    message: 'sort says descending but order says asc',
    path: ['order'],
  });

export type ProductListQuery = z.infer<typeof ProductListQuerySchema>;

/** GET /products/facets: the listing's filters, without paging or sort. */
export const ProductFacetsQuerySchema = z.strictObject(listFilterFields).refine(priceRangeInOrder, PRICE_RANGE_MESSAGE);

export type ProductFacetsQuery = z.infer<typeof ProductFacetsQuerySchema>;

const count = z.number().int().min(0);

export const ProductFacetsSchema = z
  .object({
    total: count.openapi({ description: 'Products matching the filters: the sum of each facet list.' }),
    categories: z
      .array(z.object({ value: z.string(), count }))
      .openapi({ description: 'Categories of the matching products, most products first (at most 100).' }),
    priceBands: z
      .array(
        z.object({
          minPrice: z.number().int().openapi({ description: 'Lowest priceCents in the band, inclusive.' }),
          maxPrice: z
            .number()
            .int()
            .nullable()
            .openapi({ description: 'Highest priceCents in the band, inclusive; null for the open top band.' }),
          count,
        }),
      )
      .openapi({
        description: 'Every price band, lowest first, with zero counts too; minPrice and maxPrice are filters.',
      }),
  })
  .openapi('ProductFacets');

/** Path ids are checked in the handler: a malformed id answers 404 like an unknown one. */
export const IdParamSchema = z.object({
  id: z.string().openapi({ param: { name: 'id', in: 'path' }, format: 'uuid' }),
});

export const CartItemParamSchema = z.object({
  id: z.string().openapi({ param: { name: 'id', in: 'path' }, format: 'uuid' }),
  productId: z.string().openapi({ param: { name: 'productId', in: 'path' }, format: 'uuid' }),
});

export const AddCartItemSchema = z
  .strictObject({
    productId: z.uuid(),
    quantity: z.number().int().min(1).max(MAX_LINE_QUANTITY),
  })
  .openapi('AddCartItem');

export const SetCartItemSchema = z
  .strictObject({ quantity: z.number().int().min(0).max(MAX_LINE_QUANTITY) })
  .openapi('SetCartItem');

export const CartLineSchema = z
  .object({
    productId: z.uuid(),
    name: z.string(),
    quantity: z.number().int(),
    unitPriceCents: z.number().int(),
    lineTotalCents: z.number().int(),
    /** false when the quantity exceeds the current stock (allowed in a cart; checkout enforces stock). */
    inStock: z.boolean(),
    available: z.number().int().openapi({ description: 'Units in stock now.' }),
    purchasable: z
      .boolean()
      .openapi({ description: 'false when the product was deactivated or archived since it was added.' }),
  })
  .openapi('CartLine');

export const CartSchema = z
  .object({
    id: z.uuid(),
    customerId: z.uuid(),
    lines: z.array(CartLineSchema),
    totalCents: z.number().int(),
    currency: z.string().nullable().openapi({ description: 'Currency of every line; null while the cart is empty.' }),
  })
  .openapi('Cart');

export const CartCreatedSchema = z.object({ id: z.uuid() }).openapi('CartCreated');
