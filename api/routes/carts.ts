/** Carts: a signed-in customer's own carts, priced at current prices; a stranger's cart is 404, never 403. */
import { createRoute } from '@hono/zod-openapi';
import type { AppDeps } from '../env';
import { BEARER, createRouter } from '../openapi';
import { problemResponses } from '../problem';
import { requireUser } from '../auth';
import { signedIn } from '../guards';
import { createCartStore } from '../catalog/cart-store';
import {
  AddCartItemSchema,
  CartCreatedSchema,
  CartItemParamSchema,
  CartSchema,
  IdParamSchema,
  SetCartItemSchema,
} from '../catalog/schemas';

const cartJson = (description: string) => ({ description, content: { 'application/json': { schema: CartSchema } } });
const common = { tags: ['carts'], security: BEARER, middleware: signedIn };

const createCartRoute = createRoute({
  ...common,
  method: 'post',
  path: '/carts',
  summary: 'Create an empty cart for the caller',
  responses: {
    201: { description: 'Created', content: { 'application/json': { schema: CartCreatedSchema } } },
    ...problemResponses(401),
  },
});

const getCartRoute = createRoute({
  ...common,
  method: 'get',
  path: '/carts/{id}',
  summary: 'A cart with current prices (a stranger’s cart is 404)',
  request: { params: IdParamSchema },
  responses: { 200: cartJson('The cart'), ...problemResponses(401, 404) },
});

const addItemRoute = createRoute({
  ...common,
  method: 'post',
  path: '/carts/{id}/items',
  summary:
    'Add units of a product (adds to an existing line; at most 1000 per line, a cart total of at most 1,000,000,000 minor units)',
  request: {
    params: IdParamSchema,
    body: { required: true, content: { 'application/json': { schema: AddCartItemSchema } } },
  },
  responses: { 200: cartJson('The cart after the change'), ...problemResponses(400, 401, 404, 413, 415, 422) },
});

const setItemRoute = createRoute({
  ...common,
  method: 'patch',
  path: '/carts/{id}/items/{productId}',
  summary: 'Set the quantity of a line (0 removes it)',
  request: {
    params: CartItemParamSchema,
    body: { required: true, content: { 'application/json': { schema: SetCartItemSchema } } },
  },
  responses: { 200: cartJson('The cart after the change'), ...problemResponses(400, 401, 404, 413, 415, 422) },
});

const removeItemRoute = createRoute({
  ...common,
  method: 'delete',
  path: '/carts/{id}/items/{productId}',
  summary: 'Remove a line',
  request: { params: CartItemParamSchema },
  responses: { 200: cartJson('The cart after the change'), ...problemResponses(401, 404) },
});

const deleteCartRoute = createRoute({
  ...common,
  method: 'delete',
  path: '/carts/{id}',
  summary: 'Delete a cart and its lines',
  request: { params: IdParamSchema },
  responses: { 204: { description: 'Deleted' }, ...problemResponses(401, 404) },
});

export function cartsRoutes(deps: AppDeps) {
  const router = createRouter();
  const store = createCartStore(deps.db);

  router.openapi(createCartRoute, async (c) => {
    const id = await store.create(requireUser(c));
    c.header('location', `/carts/${id}`);
    return c.json({ id }, 201);
  });

  router.openapi(getCartRoute, async (c) => c.json(await store.read(c.req.param('id'), requireUser(c)), 200));

  router.openapi(addItemRoute, async (c) => {
    const user = requireUser(c);
    const id = c.req.param('id');
    const { productId, quantity } = c.req.valid('json');
    await store.addItem(id, user, productId, quantity);
    return c.json(await store.read(id, user), 200);
  });

  router.openapi(setItemRoute, async (c) => {
    const user = requireUser(c);
    const { id, productId } = c.req.param();
    await store.setItem(id, user, productId, c.req.valid('json').quantity);
    return c.json(await store.read(id, user), 200);
  });

  router.openapi(removeItemRoute, async (c) => {
    const user = requireUser(c);
    const { id, productId } = c.req.param();
    await store.setItem(id, user, productId, 0);
    return c.json(await store.read(id, user), 200);
  });

  router.openapi(deleteCartRoute, async (c) => {
    await store.remove(c.req.param('id'), requireUser(c));
    return c.body(null, 204);
  });

  return router;
}
