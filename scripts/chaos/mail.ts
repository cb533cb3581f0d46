/**
 * What the mail server received, as the invariant checker needs it: one entry per delivered message with the order
 * and kind headers the worker stamps on every order email (X-Orderly-Order, X-Orderly-Kind) and its Message-ID.
 * Two sources: Mailpit's HTTP API (make cluster) and the project's SMTP sink directory (the local topology).
 */
import fs from 'node:fs';
import path from 'node:path';
import { headerValue } from '../../lib/smtp-sink';

export interface DeliveredMail {
  orderId: string;
  kind: string;
  messageId: string;
}

export interface MailSource {
  describe: string;
  /** Every order email received so far. */
  list(): Promise<DeliveredMail[]>;
}

/** Reads the .eml files lib/smtp-sink.ts writes, one per accepted message. */
export function sinkMailSource(dir: string): MailSource {
  return {
    describe: `SMTP sink files in ${dir}`,
    async list() {
      if (!fs.existsSync(dir)) return [];
      const out: DeliveredMail[] = [];
      for (const name of fs.readdirSync(dir)) {
        if (!name.endsWith('.eml')) continue;
        const raw = fs.readFileSync(path.join(dir, name), 'utf8');
        const orderId = headerValue(raw, 'X-Orderly-Order');
        const kind = headerValue(raw, 'X-Orderly-Kind');
        if (orderId && kind) out.push({ orderId, kind, messageId: headerValue(raw, 'Message-ID') ?? name });
      }
      return out;
    },
  };
}

interface MailpitList {
  total: number;
  messages: { ID: string; MessageID: string }[];
}

const PAGE = 500;
/** Bounds the walk through Mailpit's inbox (PAGE * MAX_PAGES messages). */
const MAX_PAGES = 200;

/** Mailpit's API: the message list, then each new message's headers (cached by Mailpit id: messages never change). */
export function mailpitMailSource(apiBase: string): MailSource {
  const seen = new Map<string, DeliveredMail | null>();
  const get = async <T>(p: string): Promise<T> => {
    const res = await fetch(`${apiBase}${p}`, { signal: AbortSignal.timeout(10_000) });
    if (!res.ok) throw new Error(`Mailpit ${p}: HTTP ${res.status}`);
    return (await res.json()) as T;
  };
  return {
    describe: `Mailpit at ${apiBase}`,
    async list() {
      const ids: { ID: string; MessageID: string }[] = [];
      for (let page = 0; page < MAX_PAGES; page++) {
        const batch = await get<MailpitList>(`/api/v1/messages?start=${page * PAGE}&limit=${PAGE}`);
        ids.push(...batch.messages);
        if (batch.messages.length < PAGE) break;
      }
      const fresh = ids.filter((m) => !seen.has(m.ID));
      for (let i = 0; i < fresh.length; i += 16) {
        await Promise.all(
          fresh.slice(i, i + 16).map(async (m) => {
            const headers = await get<Record<string, string[]>>(`/api/v1/message/${m.ID}/headers`);
            const orderId = headers['X-Orderly-Order']?.[0];
            const kind = headers['X-Orderly-Kind']?.[0];
            seen.set(m.ID, orderId && kind ? { orderId, kind, messageId: m.MessageID } : null);
          }),
        );
      }
      return ids.map((m) => seen.get(m.ID)).filter((m): m is DeliveredMail => !!m);
    },
  };
}
