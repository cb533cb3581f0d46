/** RFC 9457 problem details: the one error shape every route answers with. */
import { z } from '@hono/zod-openapi';
import { MAX_CART_TOTAL_CENTS } from '../contract';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  /** Field-level problems for validation failures. */
  errors?: { path: string; message: string }[];
  [extension: string]: unknown;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** Thrown anywhere in a request; app.onError turns it into problem+json. */
export class HttpProblem extends Error {
  readonly status: number;
  readonly type: string;
  readonly title: string;
  readonly extensions: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    detail: string,
    opts: {
      type?: string;
      title?: string;
      extensions?: Record<string, unknown>;
      headers?: Record<string, string>;
    } = {},
  ) {
    super(detail);
    this.name = 'HttpProblem';
    this.status = status;
    this.title = opts.title ?? TITLES[status] ?? 'Error';
    this.type = opts.type ?? `https://orderly.dev/problems/${this.title.toLowerCase().replace(/\s+/g, '-')}`;
    this.extensions = opts.extensions ?? {};
    this.headers = opts.headers ?? {};
  }

  toBody(instance?: string): ProblemBody {
    return {
      type: this.type,
      title: this.title,
      status: this.status,
      detail: this.message,
      instance,
      ...this.extensions,
    };
  }
}

export const badRequest = (detail: string, errors?: ProblemBody['errors']) =>
  new HttpProblem(400, detail, {
    type: 'https://orderly.dev/problems/validation',
    title: 'Invalid request',
    extensions: errors ? { errors } : {},
  });
export const unauthorized = (detail = 'A valid bearer token is required.') =>
  new HttpProblem(401, detail, { headers: { 'WWW-Authenticate': 'Bearer' } });
export const forbidden = (detail = 'You are not allowed to do this.') => new HttpProblem(403, detail);
export const notFound = (what: string) => new HttpProblem(404, `${what} was not found.`);
export const conflict = (detail: string, extensions?: Record<string, unknown>) =>
  new HttpProblem(409, detail, { extensions });
export const unprocessable = (detail: string, extensions?: Record<string, unknown>) =>
  new HttpProblem(422, detail, { extensions });

/** A cart whose total would not fit an order (contract MAX_CART_TOTAL_CENTS): refused when added to and at checkout. */
export const cartTotalTooLarge = (totalCents: number) =>
  unprocessable(
    `The cart total (${totalCents} minor units) would exceed the largest order total, ${MAX_CART_TOTAL_CENTS}.`,
    { type: 'https://orderly.dev/problems/cart-total-too-large', totalCents, maxTotalCents: MAX_CART_TOTAL_CENTS },
  );

export function problemResponse(body: ProblemBody, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status: body.status,
    headers: { 'content-type': PROBLEM_CONTENT_TYPE, ...headers },
  });
}

/** Zod schema of a problem, for the OpenAPI document. */
export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .openapi('Problem');

/** OpenAPI response entries for the given error statuses, all problem+json. */
export function problemResponses(...statuses: number[]) {
  return Object.fromEntries(
    statuses.map((s) => [
      s,
      { description: TITLES[s] ?? 'Error', content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemSchema } } },
    ]),
  ) as Record<number, { description: string; content: { [PROBLEM_CONTENT_TYPE]: { schema: typeof ProblemSchema } } }>;
}
