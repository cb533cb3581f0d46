/**
 * OpenTelemetry for one process: a tracer provider that exports by OTLP over HTTP when an endpoint is configured,
 * and nothing at all when it is not (the API's no-op tracer, no interceptors, no middleware). docs/tracing.md.
 */
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  NodeTracerProvider,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import type { Config } from './config';

export interface Tracing {
  /** Where finished spans go: the OTLP batch processor, or a test's own. */
  processor: SpanProcessor;
  /** The service's resource; the worker's workflow span sink stamps workflow spans with it. */
  resource: Resource;
  /** Flushes what is still buffered and stops exporting. */
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  serviceName: string;
  /** OTLP/HTTP base URL (`/v1/traces` is appended), e.g. http://otel-collector:4318. */
  otlpEndpoint?: string;
  /** Share of new traces recorded, 0..1; a sampled caller's trace is always continued. */
  sampleRatio?: number;
  /** Instead of OTLP (tests: an in-memory exporter behind a SimpleSpanProcessor). */
  processor?: SpanProcessor;
}

/**
 * Registers the global tracer provider, context manager and W3C propagator when there is somewhere to send spans;
 * otherwise returns undefined and registers nothing, so tracing costs nothing.
 */
export function startTracing(opts: TracingOptions): Tracing | undefined {
  if (!opts.processor && !opts.otlpEndpoint) return undefined;
  const processor =
    opts.processor ??
    new BatchSpanProcessor(new OTLPTraceExporter({ url: `${opts.otlpEndpoint!.replace(/\/$/, '')}/v1/traces` }));
  const resource = new Resource({ [ATTR_SERVICE_NAME]: opts.serviceName });
  const provider = new NodeTracerProvider({
    resource,
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(opts.sampleRatio ?? 1) }),
    spanProcessors: [processor],
  });
  provider.register();
  return { processor, resource, shutdown: () => provider.shutdown() };
}

/** startTracing from the process's config; `defaultName` unless OTEL_SERVICE_NAME names the service. */
export function startTracingFromConfig(config: Config, defaultName: string): Tracing | undefined {
  return startTracing({
    serviceName: config.tracing.serviceName ?? defaultName,
    otlpEndpoint: config.tracing.otlpEndpoint,
    sampleRatio: config.tracing.sampleRatio,
  });
}

/** The Temporal client's interceptors: the trace context rides in the workflow's headers into the worker. */
export function tracingClientInterceptors(tracing: Tracing | undefined): { workflow: WorkflowClientInterceptor[] } {
  return { workflow: tracing ? [new OpenTelemetryWorkflowClientInterceptor()] : [] };
}
