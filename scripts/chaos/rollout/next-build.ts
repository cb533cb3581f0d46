/**
 * Workflow code of the "next build" that scenario 7 rolls out: today's workflows plus this interceptor, bundled into
 * a second bundle. Its change is harmless but real (a new command in every checkout: the memo names the build that
 * started it), and guarded by patched(), so checkouts begun on the previous build replay on this one unchanged.
 */
import { patched, upsertMemo, workflowInfo, type WorkflowInterceptorsFactory } from '@temporalio/workflow';

export const NEXT_BUILD_PATCH = 'chaos-next-build-memo';

export const interceptors: WorkflowInterceptorsFactory = () => ({
  inbound: [
    {
      async execute(input, next) {
        if (workflowInfo().workflowType === 'checkout' && patched(NEXT_BUILD_PATCH)) {
          upsertMemo({ startedOnBuild: 'next' });
        }
        return next(input);
      },
    },
  ],
});
