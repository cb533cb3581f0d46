/**
 * SQL spans. Neither postgres.js nor PGlite has OpenTelemetry instrumentation, so the one call drizzle makes per
 * statement (postgres.js `unsafe`, PGlite `query`) is wrapped: a span per statement, a child of the span that is
 * active (an HTTP request, an activity). Without a recording span, as when tracing is off, the statement runs as is.
 */
import { SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';

const tracer = trace.getTracer('orderly-db');

/** The statement's first keyword (SELECT, INSERT, ...), the span's name. */
function operation(text: string): string {
  const match = /^\s*(?:--[^\n]*\n\s*)*(\w+)/.exec(text);
  return (match?.[1] ?? 'query').toUpperCase();
}

function end(span: Span, err?: unknown): void {
  if (err !== undefined) {
    span.recordException(err instanceof Error ? err : String(err));
    span.setStatus({ code: SpanStatusCode.ERROR });
  }
  span.end();
}

/**
 * Runs `run` (which issues `text`) inside a client span when a recording span is active. The statement's text is
 * recorded, never its parameters: those hold customers' data.
 */
export function traceQuery<Q extends PromiseLike<unknown>>(system: string, text: string, run: () => Q): Q {
  if (!trace.getActiveSpan()?.isRecording()) return run();
  const op = operation(text);
  const span = tracer.startSpan(op, {
    kind: SpanKind.CLIENT,
    attributes: { 'db.system': system, 'db.operation': op, 'db.statement': text },
  });
  const query = run();
  // postgres.js sends a query once it is awaited, a tick later, so drizzle's `.values()` still applies.
  query.then(
    () => end(span),
    (err: unknown) => end(span, err),
  );
  return query;
}
