/** Webhook signatures: the Standard Webhooks test vector, the reference verifier, and rotation's two signatures. */
import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import {
  newWebhookSecret,
  signingSecrets,
  signWebhook,
  verifyWebhook,
  WEBHOOK_SECRET_PATTERN,
  WebhookVerificationError,
} from '../../lib/webhook-signing';
import { eventIdOfMessage, webhookMessageId, webhookPayload } from '../../contract';

// The specification's own example (standard-webhooks spec and reference libraries' tests).
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: new Date(1614265330 * 1000),
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};

test('signing reproduces the specification test vector', () => {
  const headers = signWebhook({
    id: VECTOR.id,
    timestamp: VECTOR.timestamp,
    body: VECTOR.body,
    secrets: [VECTOR.secret],
  });
  expect(headers).toEqual({
    'webhook-id': VECTOR.id,
    'webhook-timestamp': '1614265330',
    'webhook-signature': VECTOR.signature,
  });
});

test('a signature is the base64 HMAC-SHA256 of id.timestamp.body keyed with the decoded secret', () => {
  const secret = newWebhookSecret();
  const body = JSON.stringify({ id: 'msg_7', type: 'order.created', data: { orderId: 'x', note: 'é ✓' } });
  const now = new Date();
  const headers = signWebhook({ id: 'msg_7', timestamp: now, body, secrets: [secret] });
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const expected = createHmac('sha256', key)
    .update(`msg_7.${Math.floor(now.getTime() / 1000)}.${body}`)
    .digest('base64');
  expect(headers['webhook-signature']).toBe(`v1,${expected}`);
});

test("the reference library's verifier accepts our signatures and refuses a changed body, id or secret", () => {
  const secret = newWebhookSecret();
  const body = '{"id":"msg_1","type":"order.created"}';
  const headers = signWebhook({ id: 'msg_1', timestamp: new Date(), body, secrets: [secret] });
  expect(new Webhook(secret).verify(body, { ...headers })).toEqual(JSON.parse(body));
  expect(() => verifyWebhook(secret, body, { ...headers })).not.toThrow();
  expect(() => new Webhook(secret).verify(body.replace('1', '2'), { ...headers })).toThrow(WebhookVerificationError);
  expect(() => new Webhook(secret).verify(body, { ...headers, 'webhook-id': 'msg_2' })).toThrow(
    WebhookVerificationError,
  );
  expect(() => new Webhook(newWebhookSecret()).verify(body, { ...headers })).toThrow(WebhookVerificationError);
});

test('a signature older than five minutes is refused by the verifier', () => {
  const secret = newWebhookSecret();
  const headers = signWebhook({
    id: 'msg_1',
    timestamp: new Date(Date.now() - 6 * 60_000),
    body: '{}',
    secrets: [secret],
  });
  expect(() => verifyWebhook(secret, '{}', { ...headers })).toThrow(/too old/);
});

test('during a rotation both secrets sign, space-separated, and a receiver holding either one verifies', () => {
  const [current, previous] = [newWebhookSecret(), newWebhookSecret()];
  const now = new Date();
  const secrets = signingSecrets(
    { secret: current, previousSecret: previous, previousSecretExpiresAt: new Date(now.getTime() + 1000) },
    now,
  );
  expect(secrets).toEqual([current, previous]);
  const headers = signWebhook({ id: 'msg_9', timestamp: now, body: '{}', secrets });
  expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
  expect(() => verifyWebhook(current, '{}', { ...headers })).not.toThrow();
  expect(() => verifyWebhook(previous, '{}', { ...headers })).not.toThrow();
});

test('after the grace period only the current secret signs', () => {
  const now = new Date();
  const sub = { secret: 'whsec_a', previousSecret: 'whsec_b', previousSecretExpiresAt: now };
  expect(signingSecrets(sub, now)).toEqual(['whsec_a']);
  expect(signingSecrets({ ...sub, previousSecret: null, previousSecretExpiresAt: null }, now)).toEqual(['whsec_a']);
});

test('new secrets are whsec_ and the base64 of 32 random bytes, never repeated', () => {
  const secrets = Array.from({ length: 50 }, newWebhookSecret);
  for (const s of secrets) {
    expect(s).toMatch(WEBHOOK_SECRET_PATTERN);
    expect(Buffer.from(s.slice(6), 'base64')).toHaveLength(32);
  }
  expect(new Set(secrets).size).toBe(50);
});

test('the webhook-id is msg_ and the order event id, and the payload carries the order id', () => {
  expect(webhookMessageId(42)).toBe('msg_42');
  expect(eventIdOfMessage('msg_42')).toBe(42);
  expect(eventIdOfMessage('msg_042')).toBeUndefined();
  expect(eventIdOfMessage('evt_42')).toBeUndefined();
  const createdAt = new Date('2026-01-02T03:04:05.678Z');
  expect(
    webhookPayload({
      id: 7,
      orderId: 'o-1',
      type: 'order.created',
      data: { totalCents: 5, orderId: 'spoof' },
      createdAt,
    }),
  ).toEqual({
    id: 'msg_7',
    type: 'order.created',
    timestamp: '2026-01-02T03:04:05.678Z',
    data: { orderId: 'o-1', totalCents: 5 },
  });
});
