/**
 * One webhook POST: the URL and every address it resolves to are checked against the policy right before sending,
 * the connection goes to one of those checked addresses (a second DNS answer cannot swap in another), redirects are
 * never followed (a 3xx is a failed attempt), and the whole exchange has one deadline.
 */
import http from 'node:http';
import https from 'node:https';
import type { LookupAddress } from 'node:dns';
import { resolveWebhookTarget, type Resolver, type WebhookUrlPolicy } from '../../lib/webhook-url';

/** What a receiver's answer body may add to the delivery log's last_error. */
const BODY_EXCERPT = 300;

export interface WebhookRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export type WebhookResponse =
  { ok: true; statusCode: number } | { ok: false; statusCode: number | null; error: string; refused?: boolean };

export interface WebhookSender {
  post(req: WebhookRequest, signal?: AbortSignal): Promise<WebhookResponse>;
}

/** A lookup that answers only with addresses already checked, so the socket connects to one of them. */
function pinnedLookup(addresses: LookupAddress[]) {
  return (
    _hostname: string,
    options: { all?: boolean },
    callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
  ) => {
    if (options.all) callback(null, addresses);
    else callback(null, addresses[0]!.address, addresses[0]!.family);
  };
}

const message = (err: unknown) => (err instanceof Error ? err.message || err.name : String(err));

export function webhookSender(opts: {
  policy: WebhookUrlPolicy;
  timeoutMs: number;
  resolve?: Resolver;
}): WebhookSender {
  return {
    async post(req, signal) {
      let target: Awaited<ReturnType<typeof resolveWebhookTarget>>;
      try {
        target = await resolveWebhookTarget(req.url, opts.policy, opts.resolve);
      } catch (err) {
        return { ok: false, statusCode: null, error: `refused: ${message(err)}`, refused: true };
      }
      const deadline = AbortSignal.timeout(opts.timeoutMs);
      const abort = signal ? AbortSignal.any([signal, deadline]) : deadline;
      const client = target.url.protocol === 'https:' ? https : http;
      return new Promise<WebhookResponse>((resolve) => {
        const request = client.request(
          target.url,
          {
            method: 'POST',
            headers: {
              ...req.headers,
              'content-type': 'application/json',
              'content-length': Buffer.byteLength(req.body),
              'user-agent': 'Orderly-Webhooks',
            },
            lookup: pinnedLookup(target.addresses) as never,
            signal: abort,
            agent: false,
          },
          (res) => {
            const statusCode = res.statusCode ?? 0;
            const chunks: Buffer[] = [];
            let size = 0;
            res.on('data', (chunk: Buffer) => {
              if (size < BODY_EXCERPT) chunks.push(chunk);
              size += chunk.length;
            });
            const settle = () => {
              if (statusCode >= 200 && statusCode < 300) return resolve({ ok: true, statusCode });
              const text = Buffer.concat(chunks).toString('utf8').slice(0, BODY_EXCERPT).trim();
              const what = statusCode >= 300 && statusCode < 400 ? 'redirect not followed' : 'not a 2xx answer';
              resolve({ ok: false, statusCode, error: `HTTP ${statusCode} (${what})${text ? `: ${text}` : ''}` });
            };
            res.on('end', settle);
            // The status line is what counts: a body cut short or aborted after it does not change the outcome.
            res.on('error', settle);
            res.on('aborted', settle);
          },
        );
        request.on('error', (err) => {
          const why = deadline.aborted ? `timed out after ${opts.timeoutMs} ms` : message(err);
          resolve({ ok: false, statusCode: null, error: why });
        });
        request.end(req.body);
      });
    },
  };
}
