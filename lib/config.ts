/** The one place environment variables are read: parsed with zod, failing fast with the name of every bad variable. */
import { z } from 'zod';
import {
  DEFAULT_CANCELLATION_WINDOW,
  DEFAULT_PAYMENT_CONFIRMATION_TIMEOUT,
  DEFAULT_TASK_QUEUE,
  DURATION_PATTERN,
} from '../contract';

const duration = z.string().regex(DURATION_PATTERN, 'expected a duration such as 500ms, 30s, 15m, 24h or 7d');

const port = z.coerce.number().int().min(0).max(65535);
/** A worker slot count or cache size; 0 is only meaningful where the SDK gives it a meaning (no sticky cache). */
const count = (min: number, dflt: number) => z.coerce.number().int().min(min).max(100_000).default(dflt);
const optionalUrl = z.preprocess((v) => (v === '' ? undefined : v), z.url().optional());

const DEV_SECRET = 'orderly-dev-secret-do-not-use-in-production-0000';

const schema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    HOST: z.string().min(1).default('127.0.0.1'),
    PORT: port.default(3000),
    PUBLIC_BASE_URL: optionalUrl,
    DATABASE_URL: optionalUrl,
    DATA_DIR: z.string().min(1).default('.data'),
    TEMPORAL_ADDRESS: z.preprocess(
      (v) => (v === '' ? undefined : v),
      z
        .string()
        .regex(/^[^:\s]+:\d+$/, 'expected host:port')
        .optional(),
    ),
    TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
    TASK_QUEUE: z.string().min(1).default(DEFAULT_TASK_QUEUE),
    WORKER_DEPLOYMENT_NAME: z.string().min(1).default('orderly'),
    WORKER_BUILD_ID: z.preprocess((v) => (v === '' ? undefined : v), z.string().min(1).max(255).optional()),
    WORKFLOW_BUNDLE_PATH: z.preprocess((v) => (v === '' ? undefined : v), z.string().min(1).optional()),
    TEMPORAL_PORT: port.default(7233),
    TEMPORAL_UI_PORT: port.default(8233),
    SMTP_URL: optionalUrl,
    SMTP_SINK_PORT: port.default(2525),
    MAIL_FROM: z.string().min(3).default('Orderly <orders@orderly.local>'),
    AUTH_JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    PAYMENT_PROVIDER: z.enum(['sandbox', 'stripe']).default('sandbox'),
    PAYMENT_WEBHOOK_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
    PAYMENT_CONFIRMATION_TIMEOUT: duration.default(DEFAULT_PAYMENT_CONFIRMATION_TIMEOUT),
    CANCELLATION_WINDOW: duration.default(DEFAULT_CANCELLATION_WINDOW),
    NOTIFY_SMS_WEBHOOK_URL: optionalUrl,
    NOTIFY_PUSH_WEBHOOK_URL: optionalUrl,
    // Worker tuning: the SDK's slot defaults; the sticky cache sized after a bench:checkout run (docs/scaling.md).
    WORKER_ACTIVITY_SLOTS: count(1, 100),
    WORKER_WORKFLOW_TASK_SLOTS: count(2, 40),
    WORKER_LOCAL_ACTIVITY_SLOTS: count(1, 100),
    WORKER_STICKY_CACHE_SIZE: count(0, 1000),
    // The Stripe provider (docs/payments.md): required when PAYMENT_PROVIDER=stripe.
    STRIPE_SECRET_KEY: z.preprocess((v) => (v === '' ? undefined : v), z.string().min(1).optional()),
    STRIPE_WEBHOOK_SECRET: z.preprocess((v) => (v === '' ? undefined : v), z.string().min(1).optional()),
    STRIPE_API_BASE: optionalUrl,
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV === 'production') {
      for (const name of ['AUTH_JWT_SECRET', 'PAYMENT_WEBHOOK_SECRET'] as const) {
        if (!env[name]) ctx.addIssue({ code: 'custom', path: [name], message: 'required when NODE_ENV=production' });
      }
    }
    if (env.PAYMENT_PROVIDER === 'stripe') {
      for (const name of ['STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET'] as const) {
        if (!env[name])
          ctx.addIssue({ code: 'custom', path: [name], message: 'required when PAYMENT_PROVIDER=stripe' });
      }
    }
    // The SDK would only warn and lower the slots; a cached workflow per running workflow task is what it needs.
    if (env.WORKER_STICKY_CACHE_SIZE > 0 && env.WORKER_WORKFLOW_TASK_SLOTS > env.WORKER_STICKY_CACHE_SIZE) {
      ctx.addIssue({
        code: 'custom',
        path: ['WORKER_WORKFLOW_TASK_SLOTS'],
        message: `must not exceed WORKER_STICKY_CACHE_SIZE (${env.WORKER_STICKY_CACHE_SIZE}) unless that is 0`,
      });
    }
  });

export type Env = z.infer<typeof schema>;

/** Every environment variable Orderly reads (for checks such as "compose sets only variables we know"). */
export const CONFIG_VARIABLES = Object.keys(schema.shape) as (keyof Env)[];

export interface Config {
  env: Env['NODE_ENV'];
  logLevel: Env['LOG_LEVEL'];
  host: string;
  port: number;
  publicBaseUrl: string;
  databaseUrl: string | undefined;
  dataDir: string;
  temporal: { address: string | undefined; namespace: string; taskQueue: string; port: number; uiPort: number };
  /**
   * Worker Versioning: with a build id the worker joins the deployment `name` as version `buildId`, and new
   * checkouts go to whichever version is current (docs/chaos.md "Rolling deploys"). Without one it is unversioned.
   */
  deployment: { name: string; buildId: string | undefined; workflowBundlePath: string | undefined };
  smtp: { url: string | undefined; sinkPort: number; from: string };
  auth: { jwtSecret: string };
  payment: {
    provider: Env['PAYMENT_PROVIDER'];
    webhookSecret: string;
    confirmationTimeout: string;
    /** Set when PAYMENT_PROVIDER=stripe (both secrets are then required). */
    stripe?: { secretKey: string; webhookSecret: string; apiBase: string | undefined };
  };
  cancellationWindow: string;
  notify: { smsWebhookUrl: string | undefined; pushWebhookUrl: string | undefined };
  worker: WorkerTuning;
}

/** Task slots and sticky cache of a worker, as the SDK's WorkerOptions name them. */
export interface WorkerTuning {
  maxConcurrentActivityTaskExecutions: number;
  maxConcurrentWorkflowTaskExecutions: number;
  maxConcurrentLocalActivityExecutions: number;
  maxCachedWorkflows: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: { name: string; message: string }[]) {
    super(`Invalid configuration: ${problems.map((p) => `${p.name} (${p.message})`).join('; ')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment; throws ConfigError naming every bad variable. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(source);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => ({ name: String(i.path[0] ?? '?'), message: i.message })));
  }
  const e = parsed.data;
  return {
    env: e.NODE_ENV,
    logLevel: e.LOG_LEVEL,
    host: e.HOST,
    port: e.PORT,
    publicBaseUrl: e.PUBLIC_BASE_URL ?? `http://localhost:${e.PORT}`,
    databaseUrl: e.DATABASE_URL,
    dataDir: e.DATA_DIR,
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TASK_QUEUE,
      port: e.TEMPORAL_PORT,
      uiPort: e.TEMPORAL_UI_PORT,
    },
    deployment: {
      name: e.WORKER_DEPLOYMENT_NAME,
      buildId: e.WORKER_BUILD_ID,
      workflowBundlePath: e.WORKFLOW_BUNDLE_PATH,
    },
    smtp: { url: e.SMTP_URL, sinkPort: e.SMTP_SINK_PORT, from: e.MAIL_FROM },
    auth: { jwtSecret: e.AUTH_JWT_SECRET ?? DEV_SECRET },
    payment: {
      provider: e.PAYMENT_PROVIDER,
      webhookSecret: e.PAYMENT_WEBHOOK_SECRET ?? `${DEV_SECRET}-webhook`,
      confirmationTimeout: e.PAYMENT_CONFIRMATION_TIMEOUT,
      ...(e.PAYMENT_PROVIDER === 'stripe'
        ? {
            stripe: {
              secretKey: e.STRIPE_SECRET_KEY!,
              webhookSecret: e.STRIPE_WEBHOOK_SECRET!,
              apiBase: e.STRIPE_API_BASE,
            },
          }
        : {}),
    },
    cancellationWindow: e.CANCELLATION_WINDOW,
    notify: { smsWebhookUrl: e.NOTIFY_SMS_WEBHOOK_URL, pushWebhookUrl: e.NOTIFY_PUSH_WEBHOOK_URL },
    worker: {
      maxConcurrentActivityTaskExecutions: e.WORKER_ACTIVITY_SLOTS,
      maxConcurrentWorkflowTaskExecutions: e.WORKER_WORKFLOW_TASK_SLOTS,
      maxConcurrentLocalActivityExecutions: e.WORKER_LOCAL_ACTIVITY_SLOTS,
      maxCachedWorkflows: e.WORKER_STICKY_CACHE_SIZE,
    },
  };
}
