/**
 * Webhook-style adapter for SMS and push: POSTs the message as JSON to a configurable URL, so a real provider
 * (or a small relay in front of one) plugs in without touching the workflow. The message id doubles as the
 * Idempotency-Key header so a provider that honours it drops a retried copy.
 */
import type { ChannelName } from '../../contract';
import { PermanentSendError, type NotificationChannel, type OutgoingMessage, type SendResult } from './channel';

export const WEBHOOK_TIMEOUT_MS = 10_000;

export function webhookChannel(
  name: Exclude<ChannelName, 'email'>,
  url: string,
  fetchImpl: typeof fetch = fetch,
): NotificationChannel {
  return {
    name,
    async send(message: OutgoingMessage, signal?: AbortSignal): Promise<SendResult> {
      const timeout = AbortSignal.timeout(WEBHOOK_TIMEOUT_MS);
      const res = await fetchImpl(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': message.messageId },
        body: JSON.stringify({
          channel: name,
          to: message.to,
          title: message.subject,
          body: message.short,
          messageId: message.messageId,
          orderId: message.orderId,
          kind: message.kind,
        }),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
      const text = await res.text();
      if (!res.ok) {
        const detail = `${name} webhook answered ${res.status}: ${text.slice(0, 200)}`;
        // 408 and 429 and 5xx are worth retrying; any other 4xx means the message itself is wrong.
        if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429)
          throw new PermanentSendError(detail);
        throw new Error(detail);
      }
      let id: unknown;
      try {
        id = (JSON.parse(text) as { id?: unknown }).id;
      } catch {
        // Not JSON: fall back to a header or our own id.
      }
      return { providerMessageId: String(id ?? res.headers.get('x-message-id') ?? message.messageId).slice(0, 500) };
    },
  };
}
