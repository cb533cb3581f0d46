/**
 * The load's HTTP client: every request goes through the balancer, and a connection error or a 5xx is retried with
 * the same request (so the same Idempotency-Key), with backoff, bounded in attempts and in time.
 */

export interface Reply {
  status: number;
  body: unknown;
  attempts: number;
}

/** A request that never got a non-5xx answer within its budget. */
export class GaveUp extends Error {
  constructor(
    readonly what: string,
    readonly attempts: number,
    readonly last: string,
  ) {
    super(`${what}: gave up after ${attempts} attempts (${last})`);
    this.name = 'GaveUp';
  }
}

export interface RetryBudget {
  attempts: number;
  /** Total time across attempts. */
  ms: number;
}

/** Covers a restart of every process (scenario 6) with room to spare. */
export const DEFAULT_BUDGET: RetryBudget = { attempts: 25, ms: 120_000 };
const PER_REQUEST_MS = 30_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class HttpClient {
  /** Retries the load made, by cause, for the report. */
  readonly retries = new Map<string, number>();

  constructor(
    readonly baseUrl: string,
    readonly budget: RetryBudget = DEFAULT_BUDGET,
  ) {}

  async request(
    method: string,
    path: string,
    opts: { token?: string; body?: unknown; headers?: Record<string, string>; rawBody?: string } = {},
  ): Promise<Reply> {
    const started = Date.now();
    let last = '';
    for (let attempt = 1; attempt <= this.budget.attempts; attempt++) {
      try {
        const res = await fetch(`${this.baseUrl}${path}`, {
          method,
          headers: {
            ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
            ...(opts.body !== undefined || opts.rawBody !== undefined ? { 'content-type': 'application/json' } : {}),
            ...opts.headers,
          },
          body: opts.rawBody ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body)),
          signal: AbortSignal.timeout(PER_REQUEST_MS),
        });
        const text = await res.text();
        if (res.status < 500) {
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            // not JSON: keep the text
          }
          return { status: res.status, body, attempts: attempt };
        }
        last = `HTTP ${res.status}`;
      } catch (err) {
        last = err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err);
      }
      const cause = last.startsWith('HTTP') ? last : 'connection error';
      this.retries.set(cause, (this.retries.get(cause) ?? 0) + 1);
      const wait = Math.min(4_000, 200 * 2 ** (attempt - 1));
      if (Date.now() + wait - started > this.budget.ms) break;
      await sleep(wait);
    }
    throw new GaveUp(`${method} ${path}`, this.budget.attempts, last);
  }
}
