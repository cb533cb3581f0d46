/** Bearer JWT (HS256) auth: `sub` is the customer id, `role` is customer or admin. Public reads need no token. */
import { sign, verify } from 'hono/jwt';
import type { MiddlewareHandler } from 'hono';
import { z } from 'zod';
import { forbidden, unauthorized } from './problem';
import type { AppEnv } from './env';

export const ROLES = ['customer', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface AuthUser {
  sub: string;
  role: Role;
}

const claims = z.object({ sub: z.uuid(), role: z.enum(ROLES) });

export async function mintToken(
  secret: string,
  user: AuthUser,
  ttlSeconds = 7 * 24 * 3600,
  now = Date.now(),
): Promise<string> {
  const iat = Math.floor(now / 1000);
  return sign({ sub: user.sub, role: user.role, iat, exp: iat + ttlSeconds }, secret, 'HS256');
}

/**
 * The HMAC key for a secret, imported once: hono's verify() imports a string secret through WebCrypto on every call,
 * which was about half of what verifying a token cost. A process has one secret; tests may use a few.
 */
type VerifyKey = Parameters<typeof verify>[1];
const verifyKeys = new Map<string, Promise<VerifyKey>>();
function verifyKey(secret: string): Promise<VerifyKey> {
  let key = verifyKeys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
      'verify',
    ]);
    verifyKeys.set(secret, key);
  }
  return key;
}

export async function verifyToken(secret: string, token: string): Promise<AuthUser | undefined> {
  try {
    const payload = await verify(token, await verifyKey(secret), 'HS256');
    const parsed = claims.safeParse(payload);
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Reads the bearer token if present; rejects a present but bad one. Sets c.var.user. */
export const authenticate: MiddlewareHandler<AppEnv> = async (c, next) => {
  const header = c.req.header('authorization');
  if (header) {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1]) throw unauthorized('The Authorization header must be "Bearer <token>".');
    const user = await verifyToken(c.get('deps').config.auth.jwtSecret, match[1]);
    if (!user) throw unauthorized('The bearer token is invalid or expired.');
    c.set('user', user);
  }
  await next();
};

export function requireUser(c: { var: { user?: AuthUser } }): AuthUser {
  if (!c.var.user) throw unauthorized();
  return c.var.user;
}

export function requireAdmin(c: { var: { user?: AuthUser } }): AuthUser {
  const user = requireUser(c);
  if (user.role !== 'admin') throw forbidden('This needs the admin role.');
  return user;
}
