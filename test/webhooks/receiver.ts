/**
 * A real webhook receiver for tests: node:http on a free loopback port, recording every request it reads. It can
 * answer a chosen status, hold requests open until released, or go away (connections refused) and come back on the
 * same port.
 */
import { EventEmitter } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  id: string;
  timestamp: string;
  signature: string;
  headers: Record<string, string>;
  body: string;
  json: { id: string; type: string; timestamp: string; data: { orderId: string } & Record<string, unknown> };
}

export interface TestReceiver {
  readonly url: string;
  readonly received: ReceivedWebhook[];
  /** Emits 'request' with each ReceivedWebhook as soon as its body is read. */
  readonly events: EventEmitter;
  /** The status every request is answered with (200 unless set). */
  status: number;
  /** When true, requests are read and recorded but not answered until release(). */
  hold: boolean;
  release(): void;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Distinct webhook-ids in the order they first arrived. */
  firstArrivals(): string[];
}

export async function startReceiver(): Promise<TestReceiver> {
  const events = new EventEmitter();
  const received: ReceivedWebhook[] = [];
  const held: http.ServerResponse[] = [];
  let server: http.Server | undefined;
  let port = 0;

  const receiver: TestReceiver = {
    get url() {
      return `http://127.0.0.1:${port}/hooks`;
    },
    received,
    events,
    status: 200,
    hold: false,
    release() {
      for (const res of held.splice(0)) if (!res.destroyed) res.writeHead(receiver.status).end();
    },
    async start() {
      const s = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          const headers = Object.fromEntries(
            Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : (v ?? '')]),
          );
          const hook: ReceivedWebhook = {
            id: headers['webhook-id'] ?? '',
            timestamp: headers['webhook-timestamp'] ?? '',
            signature: headers['webhook-signature'] ?? '',
            headers,
            body,
            json: JSON.parse(body) as ReceivedWebhook['json'],
          };
          received.push(hook);
          events.emit('request', hook);
          if (receiver.hold) held.push(res);
          else res.writeHead(receiver.status).end();
        });
      });
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(port, '127.0.0.1', () => {
          s.off('error', reject);
          resolve();
        });
      });
      port = (s.address() as AddressInfo).port;
      server = s;
    },
    async stop() {
      const s = server;
      server = undefined;
      if (!s) return;
      for (const res of held.splice(0)) res.destroy();
      await new Promise<void>((resolve) => {
        s.close(() => resolve());
        s.closeAllConnections();
      });
    },
    firstArrivals() {
      const seen = new Set<string>();
      const order: string[] = [];
      for (const r of received)
        if (!seen.has(r.id)) {
          seen.add(r.id);
          order.push(r.id);
        }
      return order;
    },
  };
  await receiver.start();
  return receiver;
}
