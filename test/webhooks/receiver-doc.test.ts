/** The copy-paste receiver in docs/webhooks.md, run as printed, against signatures made by lib/webhook-signing.ts. */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../scripts/temporal-dev-server';
import { newWebhookSecret, signWebhook } from '../../lib/webhook-signing';
import { waitForSuccess } from '../support/wait';

const page = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'webhooks.md'), 'utf8');
const receiverSource = /```js\n(\/\/ receiver\.mjs[\s\S]*?)```/.exec(page)?.[1];

const secret = newWebhookSecret();
let child: ChildProcess;
let url: string;
let output = '';

beforeAll(async () => {
  expect(receiverSource).toBeDefined();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'receiver-'));
  fs.writeFileSync(path.join(dir, 'receiver.mjs'), receiverSource!);
  const port = await freePort();
  url = `http://127.0.0.1:${port}/orderly`;
  child = spawn(process.execPath, ['receiver.mjs'], {
    cwd: dir,
    env: { PATH: process.env.PATH, WEBHOOK_SECRET: secret, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  await waitForSuccess('the receiver listening', () => fetch(url, { method: 'POST' }), 20_000);
});
afterAll(() => {
  child?.kill();
});

const body = (id: string) =>
  JSON.stringify({ id, type: 'order.created', timestamp: new Date().toISOString(), data: { orderId: 'o-1' } });

async function send(payload: string, headers: Record<string, string>): Promise<number> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: payload,
  });
  return res.status;
}

test('a signed event is accepted and handled once, however often it is delivered', async () => {
  const payload = body('msg_1');
  const headers = signWebhook({ id: 'msg_1', timestamp: new Date(), body: payload, secrets: [secret] });
  expect(await send(payload, { ...headers })).toBe(204);
  expect(await send(payload, { ...headers })).toBe(204);
  await waitForSuccess('the receiver printed the event', async () => {
    if (!output.includes('msg_1 order.created order o-1')) throw new Error(output);
  });
  expect(output.match(/msg_1 /g)).toHaveLength(1);
});

test('a changed body, another secret, an old timestamp or missing headers are refused with 401', async () => {
  const payload = body('msg_2');
  const now = new Date();
  const good = signWebhook({ id: 'msg_2', timestamp: now, body: payload, secrets: [secret] });
  expect(await send(payload.replace('o-1', 'o-2'), { ...good })).toBe(401);
  expect(await send(payload, { ...good, 'webhook-id': 'msg_3' })).toBe(401);
  const other = signWebhook({ id: 'msg_2', timestamp: now, body: payload, secrets: [newWebhookSecret()] });
  expect(await send(payload, { ...other })).toBe(401);
  const old = new Date(now.getTime() - 10 * 60_000);
  expect(
    await send(payload, { ...signWebhook({ id: 'msg_2', timestamp: old, body: payload, secrets: [secret] }) }),
  ).toBe(401);
  expect(await send(payload, {})).toBe(401);
  expect(await send(payload, { ...good, 'webhook-timestamp': 'soon' })).toBe(401);
  expect(output).not.toContain('msg_2');
});

test('during a rotation a receiver still on the old secret accepts the two-signature header', async () => {
  const payload = body('msg_4');
  const headers = signWebhook({
    id: 'msg_4',
    timestamp: new Date(),
    body: payload,
    secrets: [newWebhookSecret(), secret],
  });
  expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
  expect(await send(payload, { ...headers })).toBe(204);
});
