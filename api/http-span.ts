/**
 * The server span of each request, continuing a caller's W3C `traceparent`, named `METHOD /route/:template`. Lean on
 * purpose, for the read path: it reads the propagation headers and nothing else, and an unsampled request makes a
 * non-recording span and no more. (@hono/otel reads every header into objects twice and records a metric per request:
 * on GET /products/:id it cost twice as much CPU per request as this, measured side by side.)
 */
import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type TextMapGetter,
} from '@opentelemetry/api';
import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';

const fromHeaders: TextMapGetter<Headers> = {
  get: (headers, key) => headers.get(key) ?? undefined,
  keys: (headers) => [...headers.keys()],
};

export function httpSpans(): MiddlewareHandler {
  const tracer = trace.getTracer('orderly-api');
  return async (c, next) => {
    const method = c.req.method;
    const parent = propagation.extract(ROOT_CONTEXT, c.req.raw.headers, fromHeaders);
    const span = tracer.startSpan(
      method,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': method, 'url.path': c.req.path } },
      parent,
    );
    try {
      await context.with(trace.setSpan(parent, span), next);
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw err;
    } finally {
      if (span.isRecording()) {
        const route = routePath(c);
        const status = c.res.status;
        span.updateName(`${method} ${route}`);
        span.setAttributes({ 'http.route': route, 'http.response.status_code': status });
        if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        if (c.error) span.recordException(c.error);
      }
      span.end();
    }
  };
}
