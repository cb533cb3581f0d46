/** EmailChannel: nodemailer over SMTP. Only a 5xx reply is permanent; connection errors and 4xx are retried. */
import type { Transporter } from 'nodemailer';
import { PermanentSendError, type NotificationChannel, type OutgoingMessage, type SendResult } from './channel';

export function emailChannel(transport: Transporter, from: string): NotificationChannel {
  return {
    name: 'email',
    async send(message: OutgoingMessage): Promise<SendResult> {
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
    },
  };
}
