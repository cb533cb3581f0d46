/** Builds the Temporal worker that hosts Orderly's workflows and activities. */
import path from 'node:path';
import fs from 'node:fs';
import { Worker, type NativeConnection, type ReplayWorkerOptions, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';
import type { Config, WorkerTuning } from '../lib/config';
import { businessMetricsInterceptor } from './metrics';
import { encryptingDataConverter } from '../lib/payload-codec';
import type { Tracing } from '../lib/tracing';
import { tracingWorkerOptions, WORKFLOW_INTERCEPTOR_MODULES } from './tracing';

export const WORKFLOWS_PATH = require.resolve('../workflows');
/** True when this file runs compiled (dist/workers/worker.js, production); false under tsx and jest. */
const COMPILED = path.extname(__filename) === '.js';
/** Where `make build` writes the prebuilt bundle: dist/workflow-bundle.js, named from the source and the compiled tree. */
export const WORKFLOW_BUNDLE_PATH = COMPILED
  ? path.resolve(__dirname, '..', 'workflow-bundle.js')
  : path.resolve(__dirname, '..', 'dist', 'workflow-bundle.js');

/**
 * The bundle a worker runs when none is given. Compiled, it is the prebuilt one beside it, which must exist (a
 * production worker that bundled at start would take seconds and the memory of webpack). From source, workflows are
 * bundled from source at start, so a dist/ left from an older build never runs in development.
 */
export function defaultWorkflowBundle(): string | undefined {
  if (!COMPILED) return undefined;
  if (!fs.existsSync(WORKFLOW_BUNDLE_PATH))
    throw new Error(`${WORKFLOW_BUNDLE_PATH} is missing: \`make build\` writes it beside the compiled worker`);
  return WORKFLOW_BUNDLE_PATH;
}

export interface CreateWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /** A prebuilt bundle (production, tests); otherwise workflows are bundled from source at start. */
  workflowBundlePath?: string;
  /** Task slots and sticky cache size (config.worker); the SDK's defaults when absent. */
  tuning?: WorkerTuning;
  /** Where activity and workflow spans go; without it they are not made (workflow spans are dropped). */
  tracing?: Tracing;
  extra?: Partial<WorkerOptions>;
}

/**
 * Worker Versioning options for a build id (Temporal worker deployments). Checkouts auto-upgrade: an in-flight run
 * moves to the current version at its next workflow task and replays there, so workflow changes stay replay-safe
 * (patched() or CHECKOUT_VERSION, with the replay tests) and old workers can stop as soon as the new version is
 * current. Pinning would keep each old version's workers up for a whole cancellation window (24 h).
 */
export function versioningOptions(deployment: Config['deployment']): Pick<WorkerOptions, 'workerDeploymentOptions'> {
  if (!deployment.buildId) return {};
  return {
    workerDeploymentOptions: {
      useWorkerVersioning: true,
      version: { deploymentName: deployment.name, buildId: deployment.buildId },
      defaultVersioningBehavior: 'AUTO_UPGRADE',
    },
  };
}

export async function createWorker(opts: CreateWorkerOptions): Promise<Worker> {
  const bundlePath = opts.workflowBundlePath ?? defaultWorkflowBundle();
  const traced = tracingWorkerOptions(opts.tracing, bundlePath ? [] : WORKFLOW_INTERCEPTOR_MODULES);
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    activities: createActivities(opts.deps),
    ...(bundlePath ? { workflowBundle: { codePath: bundlePath } } : { workflowsPath: WORKFLOWS_PATH }),
    // A prebuilt bundle has the workflow interceptors inside (scripts/build-workflow-bundle.ts).
    sinks: traced.sinks,
    interceptors: {
      ...traced.interceptors,
      // Business metrics are counted around activities, never in (replaying) workflow code: workers/metrics.ts.
      activity: [...(traced.interceptors?.activity ?? []), businessMetricsInterceptor(opts.deps.db)],
    },
    // Graceful drain: in-flight activities get this long to finish on shutdown.
    shutdownGraceTime: '10s',
    // Payloads are encrypted with the configuration's keys (docs/security.md), whoever builds the worker.
    dataConverter: encryptingDataConverter(opts.deps.config.payloadKeys),
    ...opts.tuning,
    ...opts.extra,
  });
}

/**
 * Options for replaying recorded histories (scripts/replay.ts, the replay tests): the workflow code with the workflow
 * interceptors the workers' bundles carry (traced runs replay down the traced path), and the same payload codec as the
 * workers, so encrypted histories decrypt with the configuration's keys.
 */
export function replayOptions(payloadKeys: Config['payloadKeys'], workflowBundlePath?: string): ReplayWorkerOptions {
  return {
    ...(workflowBundlePath ? { workflowBundle: { codePath: workflowBundlePath } } : { workflowsPath: WORKFLOWS_PATH }),
    ...tracingWorkerOptions(undefined, workflowBundlePath ? [] : WORKFLOW_INTERCEPTOR_MODULES),
    dataConverter: encryptingDataConverter(payloadKeys),
  };
}
