/** EmailChannel: nodemailer over SMTP. Only a 5xx reply is permanent; connection errors and 4xx are retried. */
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Transporter } from 'nodemailer';
import { PermanentSendError, type NotificationChannel, type OutgoingMessage, type SendResult } from './channel';

const tracer = trace.getTracer('orderly-notifications');

export function emailChannel(transport: Transporter, from: string): NotificationChannel {
  return {
    name: 'email',
    // One span per SMTP submission, under the activity's span (a no-op without tracing).
    send: (message) =>
      tracer.startActiveSpan(
        'smtp send',
        {
          kind: SpanKind.CLIENT,
          attributes: { 'orderly.order_id': message.orderId, 'orderly.email.kind': message.kind },
        },
        async (span) => {
          try {
            return await send(message);
          } catch (err) {
            span.recordException(err as Error);
            span.setStatus({ code: SpanStatusCode.ERROR });
            throw err;
          } finally {
            span.end();
          }
        },
      ),
  };

  async function send(message: OutgoingMessage): Promise<SendResult> {
    try {
      const info = await transport.sendMail({
        from,
        to: message.to,
        subject: message.subject,
        text: message.text,
        html: message.html,
        messageId: message.messageId,
        headers: {
          ...(message.orderId ? { 'X-Orderly-Order': message.orderId } : {}),
          'X-Orderly-Kind': message.kind,
        },
      });
      const response = typeof info.response === 'string' ? info.response : info.messageId;
      return { providerMessageId: String(response ?? message.messageId).slice(0, 500) };
    } catch (err) {
      const code = (err as { responseCode?: number }).responseCode;
      if (typeof code === 'number' && code >= 500 && code < 600) {
        throw new PermanentSendError(`SMTP ${code}: ${(err as Error).message}`);
      }
      throw err;
    }
  }
}
