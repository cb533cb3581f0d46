/** A customer's own notification preferences: which channels order notifications go to, and the phone/push token they need. */
import { createRoute, z } from '@hono/zod-openapi';
import { eq } from 'drizzle-orm';
import { customers } from '../../db/schema';
import { NOTIFICATION_CHANNELS, chosenChannels } from '../../contract';
import type { AppDeps } from '../env';
import { BEARER, createRouter } from '../openapi';
import { problemResponses, unprocessable } from '../problem';
import { requireUser } from '../auth';
import { signedIn } from '../guards';
import { text } from '../text';

const PreferencesSchema = z
  .object({
    channels: z.array(z.enum(NOTIFICATION_CHANNELS)),
    phone: z.string().nullable(),
    pushToken: z.string().nullable(),
  })
  .openapi('NotificationPreferences');

const PutPreferencesSchema = z
  .object({
    channels: z
      .array(z.enum(NOTIFICATION_CHANNELS))
      .min(1)
      .max(NOTIFICATION_CHANNELS.length)
      .refine((list) => new Set(list).size === list.length, 'channels must not repeat')
      .openapi({ uniqueItems: true }),
    /** E.164, e.g. +447700900123. Omitted: unchanged; null: removed. */
    phone: z
      .string()
      .regex(/^\+[1-9]\d{6,14}$/, 'expected an E.164 number such as +447700900123')
      .nullable()
      .optional(),
    /** Device push token. Omitted: unchanged; null: removed. */
    pushToken: text().min(1).max(4096).nullable().optional(),
  })
  .strict()
  .openapi('NotificationPreferencesUpdate');

const common = { tags: ['customers'], security: BEARER, middleware: signedIn };
const json = { 'application/json': { schema: PreferencesSchema } };

const getRoute = createRoute({
  ...common,
  method: 'get',
  path: '/customers/me/preferences',
  summary: "The caller's notification preferences (email only until changed)",
  responses: { 200: { description: 'Preferences', content: json }, ...problemResponses(401) },
});

const putRoute = createRoute({
  ...common,
  method: 'put',
  path: '/customers/me/preferences',
  summary: "Replace the caller's channels; phone and push token are kept when omitted and removed when null",
  request: { body: { required: true, content: { 'application/json': { schema: PutPreferencesSchema } } } },
  responses: {
    200: { description: 'Preferences after the change', content: json },
    ...problemResponses(400, 401, 413, 415, 422),
  },
});

export function customersRoutes(deps: AppDeps) {
  const router = createRouter();

  const read = async (id: string) => {
    const [row] = await deps.db.select().from(customers).where(eq(customers.id, id));
    return {
      channels: chosenChannels(row?.notificationChannels),
      phone: row?.phone ?? null,
      pushToken: row?.pushToken ?? null,
    };
  };

  router.openapi(getRoute, async (c) => c.json(await read(requireUser(c).sub), 200));

  router.openapi(putRoute, async (c) => {
    const user = requireUser(c);
    const body = c.req.valid('json');
    const current = await read(user.sub);
    const next = {
      channels: body.channels,
      phone: body.phone === undefined ? current.phone : body.phone,
      pushToken: body.pushToken === undefined ? current.pushToken : body.pushToken,
    };
    if (next.channels.includes('sms') && !next.phone)
      throw unprocessable('The sms channel needs a phone number.', {
        errors: [{ path: 'phone', message: 'required for sms' }],
      });
    if (next.channels.includes('push') && !next.pushToken)
      throw unprocessable('The push channel needs a push token.', {
        errors: [{ path: 'pushToken', message: 'required for push' }],
      });
    const now = deps.clock();
    await deps.db
      .insert(customers)
      .values({
        id: user.sub,
        notificationChannels: next.channels,
        phone: next.phone,
        pushToken: next.pushToken,
        createdAt: now,
        updatedAt: now,
      })
      .onConflictDoUpdate({
        target: customers.id,
        set: { notificationChannels: next.channels, phone: next.phone, pushToken: next.pushToken, updatedAt: now },
      });
    c.var.log.info({ customerId: user.sub, channels: next.channels }, 'notification preferences changed');
    return c.json(next, 200);
  });

  return router;
}
