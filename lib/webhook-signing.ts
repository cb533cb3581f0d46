/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com): `webhook-signature` is `v1,<base64 HMAC-SHA256 of
 * id.timestamp.body>` keyed with the base64-decoded secret, computed by the reference `standardwebhooks` package.
 */
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { WEBHOOK_SECRET_PREFIX } from '../contract';

export { WebhookVerificationError } from 'standardwebhooks';

/** A new subscription secret: `whsec_` and the base64 of 32 random bytes. */
export const newWebhookSecret = (): string => WEBHOOK_SECRET_PREFIX + randomBytes(32).toString('base64');

export const WEBHOOK_SECRET_PATTERN = /^whsec_[A-Za-z0-9+/]{43}=$/;

export interface WebhookHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/**
 * The three headers of one delivery. With more than one secret (a rotation's grace period) the signature header
 * carries one `v1,` signature per secret, space-separated, as the specification allows.
 */
export function signWebhook(input: {
  id: string;
  timestamp: Date;
  body: string;
  secrets: readonly [string, ...string[]];
}): WebhookHeaders {
  return {
    'webhook-id': input.id,
    'webhook-timestamp': String(Math.floor(input.timestamp.getTime() / 1000)),
    'webhook-signature': input.secrets.map((s) => new Webhook(s).sign(input.id, input.timestamp, input.body)).join(' '),
  };
}

/** The secrets a delivery is signed with at `now`: the current one, and the previous one during its grace period. */
export function signingSecrets(
  sub: { secret: string; previousSecret: string | null; previousSecretExpiresAt: Date | null },
  now: Date,
): [string, ...string[]] {
  const previousValid = sub.previousSecret && sub.previousSecretExpiresAt && sub.previousSecretExpiresAt > now;
  return previousValid ? [sub.secret, sub.previousSecret!] : [sub.secret];
}

/**
 * What a receiver does: throws WebhookVerificationError unless one of the signatures matches and the timestamp is
 * within five minutes of now.
 */
export function verifyWebhook(secret: string, body: string, headers: WebhookHeaders | Record<string, string>): void {
  new Webhook(secret).verify(body, headers, { jsonParse: false });
}
