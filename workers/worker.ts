/** Builds the Temporal worker that hosts Orderly's workflows and activities. */
import path from 'node:path';
import fs from 'node:fs';
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';
import type { WorkerTuning } from '../lib/config';

export const WORKFLOWS_PATH = require.resolve('../workflows');
/** Where `npm run build:workflows` writes the prebuilt bundle used in production. */
export const WORKFLOW_BUNDLE_PATH = path.resolve(__dirname, '..', 'dist', 'workflow-bundle.js');

export interface CreateWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /** A prebuilt bundle (production, tests); otherwise workflows are bundled from source at start. */
  workflowBundlePath?: string;
  /** Task slots and sticky cache size (config.worker); the SDK's defaults when absent. */
  tuning?: WorkerTuning;
  extra?: Partial<WorkerOptions>;
}

export async function createWorker(opts: CreateWorkerOptions): Promise<Worker> {
  const bundlePath =
    opts.workflowBundlePath ?? (fs.existsSync(WORKFLOW_BUNDLE_PATH) ? WORKFLOW_BUNDLE_PATH : undefined);
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    activities: createActivities(opts.deps),
    ...(bundlePath ? { workflowBundle: { codePath: bundlePath } } : { workflowsPath: WORKFLOWS_PATH }),
    // Graceful drain: in-flight activities get this long to finish on shutdown.
    shutdownGraceTime: '10s',
    ...opts.tuning,
    ...opts.extra,
  });
}
