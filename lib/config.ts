/** The one place environment variables are read: parsed with zod, failing fast with the name of every bad variable. */
import { isIP } from 'node:net';
import { z } from 'zod';
import {
  DEFAULT_CANCELLATION_WINDOW,
  DEFAULT_CART_IDLE_EXPIRY,
  DEFAULT_CART_REMINDER_AFTER,
  DEFAULT_HOUSEKEEPING_INTERVAL,
  DEFAULT_ORDER_STUCK_AFTER,
  DEFAULT_PAYMENT_CONFIRMATION_TIMEOUT,
  DEFAULT_TASK_QUEUE,
  DURATION_PATTERN,
  durationMs,
} from '../contract';
import { DEV_PAYLOAD_KEY, isDevKey, KEY_ID_PATTERN, parsePayloadKeys, type PayloadKeys } from './payload-keys';

const duration = z.string().regex(DURATION_PATTERN, 'expected a duration such as 500ms, 30s, 15m, 24h or 7d');

const port = z.coerce.number().int().min(0).max(65535);
/** A worker slot count or cache size; 0 is only meaningful where the SDK gives it a meaning (no sticky cache). */
const count = (min: number, dflt: number) => z.coerce.number().int().min(min).max(100_000).default(dflt);
const optionalPort = z.preprocess((v) => (v === '' ? undefined : v), port.optional());
const optionalUrl = z.preprocess((v) => (v === '' ? undefined : v), z.url().optional());

/** `points/window`, e.g. `10/1m`: at most 10 requests in each 1-minute window. */
const rate = z
  .string()
  .regex(/^[1-9]\d{0,6}\/\d+(ms|s|m|h|d)$/, 'expected requests/window such as 10/1m or 600/30s')
  .refine((v) => !DURATION_PATTERN.test(v.split('/')[1] ?? '') || durationMs(v.split('/')[1]!) >= 1000, {
    message: 'the window must be at least 1s',
  });

/** The list of RATE_LIMIT_TRUSTED_PROXIES, or undefined when an entry is not an address or CIDR range. */
export function trustedProxies(value: string): { address: string; prefix?: number }[] | undefined {
  const out: { address: string; prefix?: number }[] = [];
  for (const item of value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [address = '', prefix, extra] = item.split('/');
    const family = isIP(address);
    const bits = prefix === undefined ? undefined : Number(prefix);
    if (!family || extra !== undefined) return undefined;
    if (bits !== undefined && !(Number.isInteger(bits) && bits >= 0 && bits <= (family === 4 ? 32 : 128)))
      return undefined;
    out.push({ address, prefix: bits });
  }
  return out;
}

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
    HOUSEKEEPING_INTERVAL: duration.default(DEFAULT_HOUSEKEEPING_INTERVAL),
    CART_IDLE_EXPIRY: duration.default(DEFAULT_CART_IDLE_EXPIRY),
    CART_REMINDER_AFTER: duration.default(DEFAULT_CART_REMINDER_AFTER),
    // Rate limits (docs/api.md "Rate limits"): requests per window, per bearer token's subject or per client IP.
    RATE_LIMIT_ENABLED: z.enum(['true', 'false']).optional(),
    RATE_LIMIT_CHECKOUT: rate.default('10/1m'),
    RATE_LIMIT_WRITE: rate.default('120/1m'),
    RATE_LIMIT_READ: rate.default('1200/1m'),
    RATE_LIMIT_READ_SYNC: duration.default('250ms'),
    RATE_LIMIT_STORE_TIMEOUT: duration.default('1s'),
    RATE_LIMIT_TRUSTED_PROXIES: z
      .string()
      .default('127.0.0.1,::1')
      .refine((v) => trustedProxies(v) !== undefined, 'expected a comma-separated list of IP addresses or CIDR ranges'),
    ORDER_STUCK_AFTER: duration.default(DEFAULT_ORDER_STUCK_AFTER),
    // Metrics (docs/observability.md): the API's GET /metrics, and the worker's two ports (unset: not served).
    METRICS_ENABLED: z.enum(['true', 'false']).default('true'),
    WORKER_METRICS_PORT: optionalPort,
    WORKER_SDK_METRICS_PORT: optionalPort,
    // Payload encryption (lib/payload-codec.ts) and its codec server (api/routes/codec.ts); docs/security.md.
    PAYLOAD_KEYS: z.preprocess(
      (v) => (v === '' ? undefined : v),
      z
        .string()
        .transform((v, ctx) => {
          const keys = parsePayloadKeys(v);
          if (typeof keys === 'string') {
            ctx.addIssue({ code: 'custom', message: keys });
            return z.NEVER;
          }
          return keys;
        })
        .optional(),
    ),
    PAYLOAD_KEY_ID: z.preprocess(
      (v) => (v === '' ? undefined : v),
      z.string().regex(KEY_ID_PATTERN, 'expected a key id from PAYLOAD_KEYS').optional(),
    ),
    CODEC_CORS_ORIGINS: z.preprocess(
      (v) => (v === '' ? undefined : v),
      z
        .string()
        .transform((v) => v.split(',').map((o) => o.trim()))
        .pipe(z.array(z.url().regex(/^https?:\/\/[^/]+$/, 'expected an origin such as http://localhost:8233')))
        .optional(),
    ),
    // Tracing and logs (docs/tracing.md): traces go out by OTLP over HTTP only when an endpoint is set.
    OTEL_EXPORTER_OTLP_ENDPOINT: optionalUrl,
    OTEL_TRACES_SAMPLER_ARG: z.coerce.number().min(0).max(1).default(1),
    OTEL_SERVICE_NAME: z.preprocess((v) => (v === '' ? undefined : v), z.string().min(1).max(100).optional()),
    LOG_FORMAT: z.enum(['auto', 'json', 'pretty']).default('auto'),
    // The Stripe provider (docs/payments.md): required when PAYMENT_PROVIDER=stripe.
    STRIPE_SECRET_KEY: z.preprocess((v) => (v === '' ? undefined : v), z.string().min(1).optional()),
    STRIPE_WEBHOOK_SECRET: z.preprocess((v) => (v === '' ? undefined : v), z.string().min(1).optional()),
    STRIPE_API_BASE: optionalUrl,
    // Outgoing event webhooks (docs/webhooks.md): where deliveries may go, and how long a rotated secret still signs.
    WEBHOOK_ALLOW_PRIVATE_ADDRESSES: z.enum(['true', 'false']).optional(),
    WEBHOOK_ALLOWED_HOSTS: z.preprocess(
      (v) => (v === '' ? undefined : v),
      z
        .string()
        .transform((v) =>
          v
            .split(',')
            .map((h) => h.trim().toLowerCase())
            .filter(Boolean),
        )
        .pipe(
          z.array(
            z
              .string()
              .regex(
                /^(\*\.)?[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/,
                'expected host names or *.domain patterns, comma-separated',
              ),
          ),
        )
        .optional(),
    ),
    WEBHOOK_SECRET_ROTATION_GRACE: duration.default('24h'),
    // Outgoing webhook delivery (docs/webhooks.md "Delivery").
    WEBHOOK_TIMEOUT: duration.default('10s'),
    WEBHOOK_RETRY_INITIAL_INTERVAL: duration.default('10s'),
    WEBHOOK_RETRY_MAX_INTERVAL: duration.default('1h'),
    WEBHOOK_RETRY_BACKOFF: z.coerce.number().min(1).max(10).default(2),
    WEBHOOK_DISABLE_AFTER_FAILURES: count(1, 30),
    WEBHOOK_POLL_INTERVAL: duration.default('30s'),
    WEBHOOK_ADMIN_EMAIL: z.preprocess((v) => (v === '' ? undefined : v), z.email().optional()),
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV === 'production') {
      for (const name of ['AUTH_JWT_SECRET', 'PAYMENT_WEBHOOK_SECRET'] as const) {
        if (!env[name]) ctx.addIssue({ code: 'custom', path: [name], message: 'required when NODE_ENV=production' });
      }
    }
    if (env.NODE_ENV === 'production' && !env.PAYLOAD_KEYS)
      ctx.addIssue({ code: 'custom', path: ['PAYLOAD_KEYS'], message: 'required when NODE_ENV=production' });
    if (env.NODE_ENV === 'production' && env.PAYLOAD_KEYS?.some(isDevKey))
      ctx.addIssue({ code: 'custom', path: ['PAYLOAD_KEYS'], message: 'the public development key is not a secret' });
    if (env.PAYLOAD_KEY_ID && !(env.PAYLOAD_KEYS ?? [DEV_PAYLOAD_KEY]).some((k) => k.id === env.PAYLOAD_KEY_ID))
      ctx.addIssue({ code: 'custom', path: ['PAYLOAD_KEY_ID'], message: 'names no key in PAYLOAD_KEYS' });
    if (!env.PAYLOAD_KEY_ID && (env.PAYLOAD_KEYS?.length ?? 0) > 1)
      ctx.addIssue({
        code: 'custom',
        path: ['PAYLOAD_KEY_ID'],
        message: 'required with more than one key in PAYLOAD_KEYS: the id of the key new payloads use',
      });
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
  /** The housekeeping schedule (workflows/housekeeping.ts): how often it runs and what it expires or settles. */
  housekeeping: HousekeepingConfig;
  rateLimit: RateLimitConfig;
  /**
   * A checkout not in its cancellation window or ended this long after it started raises NeedsAttention; an open order
   * unchanged this long whose workflow has closed is settled by housekeeping.
   */
  orderStuckAfter: string;
  metrics: MetricsConfig;
  /** The keys of the payload codec; outside production, the public development key when none are given. */
  payloadKeys: PayloadKeys;
  /**
   * The codec server: the Web UI origins allowed to call it from a browser, and (development only, set by `make
   * start` for its own dev server's UI, which cannot send a token) one origin that may call it without a token.
   */
  codec: { corsOrigins: string[]; originWithoutToken?: string };
  /** OpenTelemetry: off unless `otlpEndpoint` is set; the ratio samples new traces (a caller's decision is kept). */
  tracing: { otlpEndpoint: string | undefined; sampleRatio: number; serviceName: string | undefined };
  /** `auto`: pretty on a terminal outside production, JSON otherwise. */
  logFormat: Env['LOG_FORMAT'];
  webhooks: WebhooksConfig;
  /** Outgoing webhook delivery: the HTTP timeout, Temporal's retry backoff, auto-disable and the admin to tell. */
  webhookDelivery: WebhookDeliveryConfig;
}

/** Outgoing event webhooks (lib/webhook-url.ts, api/routes/webhooks.ts). */
export interface WebhooksConfig {
  /** Deliver to private and loopback addresses: true outside production unless set. */
  allowPrivateAddresses: boolean;
  /** When set, subscriptions may name only these hosts (exact, or `*.domain`). */
  allowedHosts: string[] | undefined;
  /** How long the previous secret still signs deliveries after a rotation. */
  secretRotationGrace: string;
}

export interface WebhookDeliveryConfig {
  timeout: string;
  retry: { initialInterval: string; maximumInterval: string; backoffCoefficient: number };
  /** Consecutive failed attempts after which a subscription is disabled. */
  disableAfterFailures: number;
  /** Longest a dispatcher waits between claims without a wake-up. */
  pollInterval: string;
  /** Who is emailed when a subscription is disabled; nobody (a log line only) when unset. */
  adminEmail: string | undefined;
}

export interface HousekeepingConfig {
  interval: string;
  cartIdleExpiry: string;
  cartReminderAfter: string;
}

/** A limit: at most `points` requests in each `windowMs`. */
export interface RateLimitRule {
  points: number;
  windowMs: number;
}

/** Rate limiting of the API (api/ratelimit/): off by default under NODE_ENV=test, on otherwise. */
export interface RateLimitConfig {
  enabled: boolean;
  checkout: RateLimitRule;
  write: RateLimitRule;
  read: RateLimitRule;
  /** How often a replica adds the reads it counted to the shared counters. */
  readSyncMs: number;
  /** A shared-store call slower than this counts as a store failure (the per-process limit answers). */
  storeTimeoutMs: number;
  /** Peers whose X-Forwarded-For is believed: the load balancer. */
  trustedProxies: { address: string; prefix?: number }[];
}

/** Where metrics are served; a worker port of 0 takes any free port (tests), undefined serves none. */
export interface MetricsConfig {
  /** GET /metrics and the request metrics middleware of the API. */
  enabled: boolean;
  /** The worker's business metrics (prom-client), GET /metrics on HOST:port. */
  workerPort: number | undefined;
  /** The Temporal SDK's own metrics (its Runtime's Prometheus exporter) on HOST:port. */
  sdkPort: number | undefined;
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
    housekeeping: {
      interval: e.HOUSEKEEPING_INTERVAL,
      cartIdleExpiry: e.CART_IDLE_EXPIRY,
      cartReminderAfter: e.CART_REMINDER_AFTER,
    },
    rateLimit: {
      enabled: e.RATE_LIMIT_ENABLED ? e.RATE_LIMIT_ENABLED === 'true' : e.NODE_ENV !== 'test',
      checkout: rateRule(e.RATE_LIMIT_CHECKOUT),
      write: rateRule(e.RATE_LIMIT_WRITE),
      read: rateRule(e.RATE_LIMIT_READ),
      readSyncMs: durationMs(e.RATE_LIMIT_READ_SYNC),
      storeTimeoutMs: durationMs(e.RATE_LIMIT_STORE_TIMEOUT),
      trustedProxies: trustedProxies(e.RATE_LIMIT_TRUSTED_PROXIES) ?? [],
    },
    orderStuckAfter: e.ORDER_STUCK_AFTER,
    metrics: {
      enabled: e.METRICS_ENABLED === 'true',
      workerPort: e.WORKER_METRICS_PORT,
      sdkPort: e.WORKER_SDK_METRICS_PORT,
    },
    payloadKeys: {
      activeId: e.PAYLOAD_KEY_ID ?? e.PAYLOAD_KEYS?.[0]?.id ?? DEV_PAYLOAD_KEY.id,
      keys: e.PAYLOAD_KEYS ?? [DEV_PAYLOAD_KEY],
    },
    codec: { corsOrigins: e.CODEC_CORS_ORIGINS ?? [`http://localhost:${e.TEMPORAL_UI_PORT}`] },
    tracing: {
      otlpEndpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT,
      sampleRatio: e.OTEL_TRACES_SAMPLER_ARG,
      serviceName: e.OTEL_SERVICE_NAME,
    },
    logFormat: e.LOG_FORMAT,
    webhooks: {
      allowPrivateAddresses: e.WEBHOOK_ALLOW_PRIVATE_ADDRESSES
        ? e.WEBHOOK_ALLOW_PRIVATE_ADDRESSES === 'true'
        : e.NODE_ENV !== 'production',
      allowedHosts: e.WEBHOOK_ALLOWED_HOSTS,
      secretRotationGrace: e.WEBHOOK_SECRET_ROTATION_GRACE,
    },
    webhookDelivery: {
      timeout: e.WEBHOOK_TIMEOUT,
      retry: {
        initialInterval: e.WEBHOOK_RETRY_INITIAL_INTERVAL,
        maximumInterval: e.WEBHOOK_RETRY_MAX_INTERVAL,
        backoffCoefficient: e.WEBHOOK_RETRY_BACKOFF,
      },
      disableAfterFailures: e.WEBHOOK_DISABLE_AFTER_FAILURES,
      pollInterval: e.WEBHOOK_POLL_INTERVAL,
      adminEmail: e.WEBHOOK_ADMIN_EMAIL,
    },
  };
}

function rateRule(value: string): RateLimitRule {
  const [points, window] = value.split('/');
  return { points: Number(points), windowMs: durationMs(window!) };
}
