/** Router factory: every router validates with zod and answers validation failures as problem+json. */
import { OpenAPIHono } from '@hono/zod-openapi';
import type { ZodError } from 'zod';
import type { AppEnv } from './env';
import { badRequest } from './problem';

export function zodProblems(error: ZodError): { path: string; message: string }[] {
  return error.issues.map((i) => ({ path: i.path.length ? i.path.join('.') : '(root)', message: i.message }));
}

export function createRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        const where =
          { json: 'body', query: 'query string', param: 'path', header: 'headers' }[result.target as string] ??
          result.target;
        throw badRequest(`The request ${where} is invalid.`, zodProblems(result.error));
      }
    },
  });
}

/** Bearer auth scheme name used in route `security` entries. */
export const BEARER = [{ bearerAuth: [] as string[] }];
