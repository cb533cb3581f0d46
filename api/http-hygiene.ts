/**
 * Connection and method hygiene: 405 with Allow for a known path, request bodies taken off the wire after an early
 * answer (or the connection announced as closing), and problem+json for what Node's HTTP parser refuses.
 */
import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Env, MiddlewareHandler } from 'hono';
import type { AppEnv } from './env';
import { HttpProblem, PROBLEM_CONTENT_TYPE } from './problem';

/** `connection: close` on an answer sent before a body too large to read: the client must not reuse the socket. */
export const CLOSE_CONNECTION = { connection: 'close' } as const;

/** How long an unread body may take to arrive after the answer is ready, before the connection is closed instead. */
const DISCARD_TIMEOUT_MS = 2_000;

/**
 * Runs `middleware` only for requests that may carry a body. A GET or HEAD never has one in the Fetch API, and asking
 * (`c.req.raw.body`) makes @hono/node-server build a full WHATWG Request that its fast path otherwise skips.
 */
export function forBodies<E extends Env>(middleware: MiddlewareHandler<E>): MiddlewareHandler<E> {
  return (c, next) => (c.req.method === 'GET' || c.req.method === 'HEAD' ? next() : middleware(c, next));
}

/**
 * After the response is decided: a body nobody read (a 401, 404 or 415 before validation) is read and dropped, so the
 * next request on the keep-alive connection starts at a request boundary. The body limit has already bounded it;
 * a 413 says `connection: close` instead, as its body is not worth reading.
 */
export const discardUnreadBody: MiddlewareHandler<AppEnv> = async (c, next) => {
  await next();
  const body = c.req.raw.body;
  if (!body || c.req.raw.bodyUsed || body.locked || c.res.headers.get('connection') === 'close') return;
  const reader = body.getReader();
  let timer: NodeJS.Timeout | undefined;
  const drained = await Promise.race([
    (async () => {
      for (;;) if ((await reader.read()).done) return true;
    })().catch(() => true), // the client went away mid-body: nothing left to keep usable
    new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), DISCARD_TIMEOUT_MS))),
  ]);
  clearTimeout(timer);
  if (!drained) {
    // A client that announced more than it sends: answer now and close rather than wait for it.
    void reader.cancel().catch(() => {});
    c.res = new Response(c.res.body, c.res);
    c.res.headers.set('connection', 'close');
  }
};

/** Route templates by method, turned into matchers, for the 405 answer. */
export function allowedMethods(routes: readonly { method: string; path: string }[]): (path: string) => string[] {
  let table: { re: RegExp; method: string }[] | undefined;
  return (path) => {
    table ??= routes
      .filter((r) => r.method !== 'ALL' && r.path !== '/*' && !r.path.endsWith('*'))
      .map((r) => ({
        method: r.method,
        re: new RegExp(
          `^${r.path
            .replace(/[.+?^$()[\]\\|]/g, '\\$&')
            .replace(/:\w+(\{[^}]*\})?/g, '[^/]+')
            .replace(/\/$/, '')}/?$`,
        ),
      }));
    const methods = new Set(table.filter((t) => t.re.test(path)).map((t) => t.method));
    // Hono answers HEAD from the GET route.
    if (methods.has('GET')) methods.add('HEAD');
    return [...methods];
  };
}

export function methodNotAllowed(method: string, path: string, allow: string[]): HttpProblem {
  return new HttpProblem(405, `${method} is not supported on ${path}; use ${allow.join(', ')}.`, {
    headers: { allow: allow.join(', ') },
  });
}

const PARSER_ERRORS: Record<string, [number, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large'],
  HPE_CHUNK_EXTENSIONS_OVERFLOW: [413, 'Content Too Large'],
};

/**
 * Node's HTTP parser refuses some requests before any handler runs (headers too large, a malformed request line).
 * Its default answer is a bare status line; this one is problem+json, then the socket closes.
 */
export function answerParserErrors(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (!socket.writable || err.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const [status, title] =
      PARSER_ERRORS[err.code ?? ''] ??
      (err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'Request Timeout'] : [400, 'Bad Request']);
    const body = JSON.stringify({
      type: 'about:blank',
      title,
      status,
      detail: status === 400 ? 'The request could not be parsed as HTTP/1.1.' : `${title}.`,
    });
    socket.end(
      `HTTP/1.1 ${status} ${title}\r\ncontent-type: ${PROBLEM_CONTENT_TYPE}\r\n` +
        `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  });
}
