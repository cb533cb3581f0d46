/**
 * The workflow interceptors every bundle carries: @temporalio/interceptors-opentelemetry's spans for the run, its
 * signals, updates and the activities it schedules, for the runs that were started with a trace context.
 *
 * The gate is what keeps histories replaying. The library's interceptors await around `next`, so an activity's
 * result reaches the workflow a few microtasks later than without them; a run recorded without them can then order
 * its commands differently on replay (a timer before an activity). Whether a run is traced is decided once, by the
 * trace header in its start input, which is in its history: a run started without one (before tracing, by the CLI, or
 * with tracing off in the API) runs exactly as it would without interceptors, and a traced run replays traced.
 */
import {
  OpenTelemetryInboundInterceptor,
  OpenTelemetryInternalsInterceptor,
  OpenTelemetryOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/workflow';
import type {
  Next,
  WorkflowInboundCallsInterceptor,
  WorkflowInterceptors,
  WorkflowInternalsInterceptor,
  WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';

/** The header the client interceptor writes the trace context into (the library's TRACE_HEADER). */
export const TRACE_HEADER = '_tracer-data';

type AnyInterceptor = Record<string, ((input: unknown, next: (input: unknown) => unknown) => unknown) | undefined>;

/** Each method of `methods` delegates to `target()` while the run is traced, and straight to `next` otherwise. */
function gated<T extends object>(methods: string[], target: () => T | undefined): T {
  const gate: AnyInterceptor = {};
  for (const name of methods) {
    gate[name] = (input, next) => {
      const impl = target() as AnyInterceptor | undefined;
      const method = impl?.[name];
      return method ? method.call(impl, input, next) : next(input);
    };
  }
  return gate as T;
}

/** The methods the library implements, found on its prototypes, so a later version's additions are gated too. */
function methodsOf(cls: { prototype: object }): string[] {
  return Object.getOwnPropertyNames(cls.prototype).filter((name) => name !== 'constructor');
}

export const interceptors = (): WorkflowInterceptors => {
  // Made only for a traced run: the library's first instance sets up the sandbox's tracer.
  let otel:
    | {
        inbound: OpenTelemetryInboundInterceptor;
        outbound: OpenTelemetryOutboundInterceptor;
        internals: OpenTelemetryInternalsInterceptor;
      }
    | undefined;
  const inbound = gated<WorkflowInboundCallsInterceptor>(
    methodsOf(OpenTelemetryInboundInterceptor),
    () => otel?.inbound,
  );
  const execute: WorkflowInboundCallsInterceptor['execute'] = (
    input,
    next: Next<WorkflowInboundCallsInterceptor, 'execute'>,
  ) => {
    if (TRACE_HEADER in input.headers) {
      otel = {
        inbound: new OpenTelemetryInboundInterceptor(),
        outbound: new OpenTelemetryOutboundInterceptor(),
        internals: new OpenTelemetryInternalsInterceptor(),
      };
      return otel.inbound.execute(input, next);
    }
    return next(input);
  };
  return {
    inbound: [{ ...inbound, execute }],
    outbound: [
      gated<WorkflowOutboundCallsInterceptor>(methodsOf(OpenTelemetryOutboundInterceptor), () => otel?.outbound),
    ],
    internals: [
      gated<WorkflowInternalsInterceptor>(methodsOf(OpenTelemetryInternalsInterceptor), () => otel?.internals),
    ],
  };
};
