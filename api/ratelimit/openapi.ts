/** Adds the 429 answer, with its headers, to every route the rate limit covers in the OpenAPI document. */
import type { OpenAPIHono } from '@hono/zod-openapi';
import { problemResponses } from '../problem';
import { policyOf } from './middleware';

const HEADERS = {
  'Retry-After': {
    description: 'Seconds until the limit allows a request again.',
    schema: { type: 'integer' as const },
  },
  'RateLimit-Policy': {
    description: 'The policy that refused, e.g. `"checkout";q=10;w=60` (draft-ietf-httpapi-ratelimit-headers-10).',
    schema: { type: 'string' as const },
  },
  RateLimit: {
    description:
      'What is left of it, e.g. `"checkout";r=0;t=42`: remaining requests and seconds until the window ends.',
    schema: { type: 'string' as const },
  },
};

export function documentRateLimits(registry: OpenAPIHono['openAPIRegistry']): void {
  const [, tooMany] = Object.entries(problemResponses(429))[0]!;
  for (const def of registry.definitions) {
    if (def.type !== 'route') continue;
    const { route } = def;
    if (!policyOf(route.method.toUpperCase(), route.path)) continue;
    if (route.responses[429]) continue;
    // A new object: this app's route entry is its own (copied on app.route()), its responses are the router's.
    route.responses = {
      ...route.responses,
      429: {
        ...tooMany,
        description: 'Too Many Requests: over a rate limit (docs/api.md "Rate limits")',
        headers: HEADERS,
      },
    };
  }
}
