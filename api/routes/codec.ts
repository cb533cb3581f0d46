/**
 * POST /codec/encode and /codec/decode: Temporal's remote codec protocol, so the Web UI and `temporal ...
 * --codec-endpoint` show decrypted payloads. Admins only (`--codec-auth 'Bearer <admin token>'`); in development,
 * `make start` lets its own dev server's Web UI in without a token, because that UI cannot send one.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { cors } from 'hono/cors';
import type { MiddlewareHandler } from 'hono';
import type { Payload } from '@temporalio/common';
import { EncryptionCodec, PayloadDecryptionError } from '../../lib/payload-codec';
import { requireAdmin } from '../auth';
import type { AppDeps, AppEnv } from '../env';
import { BEARER, createRouter } from '../openapi';
import { problemResponses, unauthorized, unprocessable } from '../problem';

/** Standard base64, and the same rule as the OpenAPI pattern, so clients and fuzzers know what is accepted. */
const BASE64_PATTERN = '^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$';
const base64 = () => z.base64().openapi({ pattern: BASE64_PATTERN });

/** A Payloads message as protobuf JSON: metadata values and data are base64. */
const PayloadsSchema = z
  .object({
    payloads: z
      .array(
        z.object({
          metadata: z.record(z.string(), base64()).optional(),
          data: base64().optional(),
        }),
      )
      .max(10_000)
      // Protobuf JSON leaves out an empty list: the CLI encodes a query without arguments as {}.
      .default([]),
  })
  .openapi('CodecPayloads');
type JsonPayloads = z.infer<typeof PayloadsSchema>;

const fromJson = ({ payloads }: JsonPayloads): Payload[] =>
  payloads.map(({ metadata, data }) => ({
    metadata: Object.fromEntries(Object.entries(metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
    data: Buffer.from(data ?? '', 'base64'),
  }));

const toJson = (payloads: Payload[]): JsonPayloads => ({
  payloads: payloads.map(({ metadata, data }) => ({
    metadata: Object.fromEntries(
      Object.entries(metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')]),
    ),
    data: Buffer.from(data ?? new Uint8Array()).toString('base64'),
  })),
});

/** Admins; and, in development only, the one Web UI origin `make start` named (config.codec.originWithoutToken). */
function codecCaller(deps: AppDeps): MiddlewareHandler<AppEnv> {
  const { originWithoutToken } = deps.config.codec;
  const uiWithoutToken = deps.config.env === 'development' ? originWithoutToken : undefined;
  return async (c, next) => {
    if (!c.var.user && uiWithoutToken && c.req.header('origin') === uiWithoutToken) return next();
    if (!c.var.user)
      throw unauthorized("The codec needs an admin token: --codec-auth 'Bearer <token>' (docs/security.md).");
    requireAdmin(c);
    await next();
  };
}

const route = (action: 'encode' | 'decode', caller: MiddlewareHandler<AppEnv>) =>
  createRoute({
    method: 'post',
    path: `/codec/${action}`,
    tags: ['codec'],
    security: BEARER,
    middleware: caller,
    summary:
      action === 'decode'
        ? "Decrypt workflow payloads for the Web UI and the temporal CLI (Temporal's remote codec protocol; admin)"
        : 'Encrypt payloads with the active key, as clients and workers do (admin)',
    request: { body: { required: true, content: { 'application/json': { schema: PayloadsSchema } } } },
    responses: {
      200: { description: 'The payloads, same order', content: { 'application/json': { schema: PayloadsSchema } } },
      ...problemResponses(400, 401, 403, 413, 415, 422),
    },
  });

export function codecRoutes(deps: AppDeps) {
  const router = createRouter();
  const codec = new EncryptionCodec(deps.config.payloadKeys);
  const caller = codecCaller(deps);
  router.use(
    '/codec/*',
    cors({
      origin: deps.config.codec.corsOrigins,
      allowMethods: ['POST'],
      // The Web UI names the namespace in X-Namespace; the CLI's --codec-auth arrives as Authorization.
      allowHeaders: ['Content-Type', 'Authorization', 'X-Namespace'],
      maxAge: 600,
    }),
  );

  router.openapi(route('encode', caller), async (c) => {
    const payloads = await codec.encode(fromJson(c.req.valid('json')));
    return c.json(toJson(payloads), 200);
  });

  router.openapi(route('decode', caller), async (c) => {
    try {
      const payloads = await codec.decode(fromJson(c.req.valid('json')));
      return c.json(toJson(payloads), 200);
    } catch (err) {
      if (err instanceof PayloadDecryptionError) throw unprocessable(`A payload cannot be decrypted: ${err.message}.`);
      throw err;
    }
  });

  return router;
}
