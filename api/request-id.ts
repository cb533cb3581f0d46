/**
 * The request's id (the caller's X-Request-Id when it is a sane token, else a new UUID) and the headers every response
 * carries. Response headers go straight to Node's ServerResponse when @hono/node-server serves the app: a handler's
 * Response then keeps its plain headers and the server its fast path, where Hono's c.header builds a WHATWG Headers
 * per request. Without a Node response (app.request in tests) they go through c.header.
 */
import type { HttpBindings } from '@hono/node-server';
import type { Context, MiddlewareHandler } from 'hono';
import type { AppEnv } from './env';

export const REQUEST_ID_HEADER = 'X-Request-Id';
const MAX_ID_LENGTH = 255;

/** Sets a header on the response, after `next()` has made it (the handler's, or the error handler's). */
export function setResponseHeader(c: Context, name: string, value: string): void {
  const outgoing = (c.env as Partial<HttpBindings> | undefined)?.outgoing;
  if (outgoing && !outgoing.headersSent) outgoing.setHeader(name, value);
  else c.header(name, value);
}

export const requestIds: MiddlewareHandler<AppEnv> = async (c, next) => {
  const given = c.req.header(REQUEST_ID_HEADER);
  const id = given && given.length <= MAX_ID_LENGTH && !/[^\w\-=]/.test(given) ? given : crypto.randomUUID();
  c.set('requestId', id);
  await next();
  setResponseHeader(c, REQUEST_ID_HEADER, id);
};
