/**
 * The worker's side of tracing: activity spans continue the workflow's trace (from the activity headers), and the
 * spans the workflow interceptors make in the sandbox leave through the `exporter` sink into the process's tracing.
 */
import type { Context as ActivityContext } from '@temporalio/activity';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  type OpenTelemetryWorkflowExporter,
} from '@temporalio/interceptors-opentelemetry';
import type { InjectedSinks, WorkerOptions } from '@temporalio/worker';
import type { Tracing } from '../lib/tracing';

/** Bundled with the workflows, by the worker from source and by `make build` into the prebuilt bundle. */
export const WORKFLOW_INTERCEPTOR_MODULES = [require.resolve('../workflows/interceptors')];

/**
 * Interceptors and sinks for a worker. The workflow interceptors are in every bundle, so their sink is always
 * registered: with tracing off it drops the spans (the worker would log an error per call to a missing sink).
 */
export function tracingWorkerOptions(
  tracing: Tracing | undefined,
  workflowModules: string[],
): Pick<WorkerOptions, 'interceptors' | 'sinks'> {
  const sinks: InjectedSinks<{ exporter: OpenTelemetryWorkflowExporter }> = {
    exporter: tracing ? makeWorkflowExporter(tracing.processor, tracing.resource) : { export: { fn: () => undefined } },
  };
  return {
    sinks,
    interceptors: {
      workflowModules,
      activity: tracing
        ? [
            (ctx: ActivityContext) => ({
              inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
              outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
            }),
          ]
        : [],
    },
  };
}
