/**
 * HTTP hygiene over real sockets: early rejections leave the client's connection usable (or say they close it),
 * unsupported methods answer 405 with Allow, and what Node's HTTP parser refuses is problem+json too.
 */
import net from 'node:net';
import http from 'node:http';
import { MAX_BODY_BYTES } from '../../api/app';
import { serveApi, type ApiServer } from '../../api/main';
import { startHarness, type Harness } from '../support/harness';
import { testLogger } from '../support/logs';

let h: Harness;
let server: ApiServer;
beforeAll(async () => {
  h = await startHarness({ worker: false });
  server = await serveApi(h.app, { host: '127.0.0.1', port: 0, log: testLogger() });
}, 180_000);
afterAll(async () => {
  await server?.close();
  await h?.close();
});

/** Sends raw bytes on one socket and collects everything until the server closes it (or `until` matches). */
function raw(
  payload: string | Buffer,
  until?: (text: string) => boolean,
): Promise<{ text: string; closedCleanly: boolean }> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: '127.0.0.1', port: server.port });
    let text = '';
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no complete answer in 10 s; got: ${text.slice(0, 500)}`));
    }, 10_000);
    const done = (closedCleanly: boolean) => {
      clearTimeout(timer);
      sock.destroy();
      resolve({ text, closedCleanly });
    };
    sock.on('data', (d) => {
      text += d.toString('latin1');
      if (until?.(text)) done(true);
    });
    sock.on('end', () => done(true));
    sock.on('error', () => done(false));
    sock.write(payload);
  });
}

/** One request through a keep-alive agent (Node's own client, as a service calling Orderly would use). */
function send(
  agent: http.Agent,
  method: string,
  path: string,
  body?: Buffer,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${server.url}${path}`, { agent, method, headers, timeout: 10_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer in 10 s`)));
    req.on('error', reject);
    req.end(body);
  });
}

const statusOf = (text: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
const header = (text: string, name: string) =>
  new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(text.split('\r\n\r\n')[0] ?? '')?.[1]?.trim();
const bodyOf = (text: string) => JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4));

describe('early rejections and keep-alive', () => {
  test('after a 413 on a keep-alive connection, the next request of the same client succeeds', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const big = await send(agent, 'POST', '/products', Buffer.alloc(MAX_BODY_BYTES * 8, 'a'), {
        'content-type': 'application/json',
        authorization: `Bearer ${await h.token('admin')}`,
      });
      expect(big.status).toBe(413);
      expect(big.headers['content-type']).toBe('application/problem+json');
      expect(JSON.parse(big.body)).toMatchObject({ status: 413 });
      // The same client, a pool of one connection: it must not meet a socket the server has torn down.
      for (let i = 0; i < 3; i++) expect((await send(agent, 'GET', '/health')).status).toBe(200);
    } finally {
      agent.destroy();
    }
  });

  test.each([
    ['413 (declared length over the limit)', 'application/json', MAX_BODY_BYTES + 1, 413],
    ['415 (not JSON)', 'text/plain', 64, 415],
  ])('a %s answers with Connection: close and closes the socket cleanly', async (_name, type, length, status) => {
    const token = await h.token('admin');
    // Only the head and a little of the announced body: the server must answer and close without waiting for it.
    const { text, closedCleanly } = await raw(
      `POST /products HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${token}\r\n` +
        `Content-Type: ${type}\r\nContent-Length: ${length}\r\n\r\n{"a":`,
    );
    expect(statusOf(text)).toBe(status);
    expect(header(text, 'connection')).toBe('close');
    expect(header(text, 'content-type')).toBe('application/problem+json');
    expect(bodyOf(text)).toMatchObject({ status });
    expect(closedCleanly).toBe(true);
  });

  test('a 415 whose whole small body was sent keeps the connection usable for the next request', async () => {
    const body = 'hello';
    const { text } = await raw(
      `POST /carts HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${await h.token('customer')}\r\n` +
        `Content-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${body}` +
        `GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`,
    );
    const answers = text.match(/HTTP\/1\.1 \d{3}/g) ?? [];
    // Either both answers on the one connection, or the first says it closes; never a silently dead socket.
    if (answers.length === 1) expect(header(text, 'connection')).toBe('close');
    else expect(answers).toEqual(['HTTP/1.1 415', 'HTTP/1.1 200']);
  });
});

describe("what Node's HTTP parser refuses", () => {
  test('headers larger than the server accepts answer 431 problem+json and close', async () => {
    const { text, closedCleanly } = await raw(
      `GET /health HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`,
    );
    expect(statusOf(text)).toBe(431);
    expect(header(text, 'content-type')).toBe('application/problem+json');
    expect(header(text, 'connection')).toBe('close');
    expect(bodyOf(text)).toMatchObject({ status: 431, title: 'Request Header Fields Too Large' });
    expect(closedCleanly).toBe(true);
  });

  test('a malformed request line answers 400 problem+json and closes', async () => {
    const { text } = await raw('NOT A REQUEST\r\n\r\n');
    expect(statusOf(text)).toBe(400);
    expect(header(text, 'content-type')).toBe('application/problem+json');
    expect(bodyOf(text)).toMatchObject({ status: 400 });
  });
});

describe('unsupported methods', () => {
  test.each([
    ['PUT', '/orders', 'GET, HEAD'],
    ['DELETE', '/checkout', 'POST'],
    ['POST', '/products/00000000-0000-4000-8000-000000000000', 'GET, HEAD, PUT, PATCH, DELETE'],
    ['GET', '/payments/webhook', 'POST'],
    ['PATCH', '/carts', 'POST'],
  ])('%s %s is 405 problem+json with Allow: %s', async (method, path, allow) => {
    const res = await h.call(method, path, { token: await h.token('admin') });
    expect(res.status).toBe(405);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(res.headers.get('allow')?.split(', ').sort()).toEqual(allow.split(', ').sort());
    expect(res.body).toMatchObject({ status: 405, title: 'Method Not Allowed' });
  });

  test('a path no route serves is still 404', async () => {
    const res = await h.call('GET', '/nowhere');
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
  });
});
