/** GET /health (the process is up) and GET /ready (database, Temporal and a polling worker all answer). */
import { sql } from 'drizzle-orm';
import { optionalTsToMs } from '@temporalio/common/lib/time';
import type { AppDeps, ReadyCheck } from '../env';
import { createRoute, z } from '@hono/zod-openapi';
import { createRouter } from '../openapi';

const CHECK_TIMEOUT_MS = 2_000;
/**
 * Temporal calls carry a deadline and are awaited to the end rather than abandoned: the client retries an
 * unavailable server on timers, and a retry still pending when the connection closes (shutdown) would throw.
 * The last retry can start up to ~5 s after the deadline; this backstop only guards against a hang.
 */
const CHECK_BACKSTOP_MS = CHECK_TIMEOUT_MS + 8_000;
/**
 * A worker long-polls for up to about a minute and the server records a poller when its poll starts, so an idle
 * but healthy worker can look up to ~60 s old; anything older than this has stopped polling.
 */
export const WORKER_POLL_FRESHNESS_MS = 70_000;
// temporal.api.enums.v1: TaskQueueKind.NORMAL and TaskQueueType.WORKFLOW (the proto package is not a direct dep).
const TASK_QUEUE_KIND_NORMAL = 1;
const TASK_QUEUE_TYPE_WORKFLOW = 1;

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** Passes when at least one worker polled the workflow task queue recently. */
export async function checkWorkerPolling(deps: Pick<AppDeps, 'temporal' | 'config' | 'clock'>): Promise<void> {
  const { namespace, taskQueue } = deps.config.temporal;
  const res = await deps.temporal.withDeadline(Date.now() + CHECK_TIMEOUT_MS, () =>
    deps.temporal.workflowService.describeTaskQueue({
      namespace,
      taskQueue: { name: taskQueue, kind: TASK_QUEUE_KIND_NORMAL },
      taskQueueType: TASK_QUEUE_TYPE_WORKFLOW,
    }),
  );
  const now = deps.clock().getTime();
  const fresh = (res.pollers ?? []).filter((p) => {
    const at = optionalTsToMs(p.lastAccessTime);
    return at !== undefined && now - at <= WORKER_POLL_FRESHNESS_MS;
  });
  if (fresh.length === 0) {
    throw new Error(`no worker has polled task queue "${taskQueue}" in the last ${WORKER_POLL_FRESHNESS_MS / 1000} s`);
  }
}

const ReadySchema = z
  .object({
    status: z.enum(['ready', 'not_ready']),
    checks: z.array(z.object({ name: z.string(), ok: z.boolean(), error: z.string().optional() })),
  })
  .openapi('Readiness');

const healthRoute = createRoute({
  method: 'get',
  path: '/health',
  tags: ['health'],
  summary: 'The process is up (no dependency is checked)',
  responses: {
    200: { description: 'Up', content: { 'application/json': { schema: z.object({ status: z.literal('ok') }) } } },
  },
});

const readyRoute = createRoute({
  method: 'get',
  path: '/ready',
  tags: ['health'],
  summary: 'Database, Temporal and a polling worker all answer',
  responses: {
    200: { description: 'Every check passed', content: { 'application/json': { schema: ReadySchema } } },
    503: {
      description: 'At least one check failed; each is named',
      content: { 'application/json': { schema: ReadySchema } },
    },
  },
});

export function healthRoutes(deps: AppDeps) {
  const router = createRouter();
  const checks: ReadyCheck[] = [
    {
      name: 'database',
      check: () => withTimeout(deps.db.execute(sql`select 1`), CHECK_TIMEOUT_MS, 'database').then(() => {}),
    },
    {
      name: 'temporal',
      check: async () =>
        void (await deps.temporal.withDeadline(Date.now() + CHECK_TIMEOUT_MS, () =>
          deps.temporal.workflowService.getSystemInfo({}),
        )),
    },
    { name: 'worker', check: () => checkWorkerPolling(deps) },
    ...(deps.extraReadyChecks ?? []),
  ];

  router.openapi(healthRoute, (c) => c.json({ status: 'ok' as const }, 200));

  router.openapi(readyRoute, async (c) => {
    const results = await Promise.all(
      checks.map(async ({ name, check }) => {
        try {
          await withTimeout(check(), CHECK_BACKSTOP_MS, name);
          return { name, ok: true };
        } catch (err) {
          return { name, ok: false, error: err instanceof Error ? err.message : String(err) };
        }
      }),
    );
    const ready = results.every((r) => r.ok);
    if (ready) return c.json({ status: 'ready' as const, checks: results }, 200);
    return c.json({ status: 'not_ready' as const, checks: results }, 503);
  });
  return router;
}
