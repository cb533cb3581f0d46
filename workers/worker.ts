/** Builds the Temporal worker that hosts Orderly's workflows and activities. */
import path from 'node:path';
import fs from 'node:fs';
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';
import type { Config } from '../lib/config';

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
    ...opts.extra,
  });
}
