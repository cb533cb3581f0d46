/** GET /health (the process is up) and GET /ready (database, Temporal and a polling worker all answer). */
import { sql } from 'drizzle-orm';
import type { AppDeps, ReadyCheck } from '../env';
import { createRouter } from '../openapi';

const CHECK_TIMEOUT_MS = 2_000;

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export function healthRoutes(deps: AppDeps) {
  const router = createRouter();
  const checks: ReadyCheck[] = [
    { name: 'database', check: async () => void (await deps.db.execute(sql`select 1`)) },
    {
      name: 'temporal',
      check: async () => void (await deps.temporal.workflowService.getSystemInfo({})),
    },
    ...(deps.extraReadyChecks ?? []),
  ];

  router.get('/health', (c) => c.json({ status: 'ok' }));

  router.get('/ready', async (c) => {
    const results = await Promise.all(
      checks.map(async ({ name, check }) => {
        try {
          await withTimeout(check(), CHECK_TIMEOUT_MS, name);
          return { name, ok: true as const };
        } catch (err) {
          return { name, ok: false as const, error: err instanceof Error ? err.message : String(err) };
        }
      }),
    );
    const ready = results.every((r) => r.ok);
    return c.json({ status: ready ? 'ready' : 'not_ready', checks: results }, ready ? 200 : 503);
  });
  return router;
}
