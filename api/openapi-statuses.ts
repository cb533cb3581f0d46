/**
 * Statuses every operation can answer because of the middleware in front of it, added to the OpenAPI document in
 * one place so it states them all: 401 (a bearer token that is present but bad, on any route), 413 (a body over the
 * limit, on any method that may carry one), 415 and 400 (a body that is not JSON) on operations that read a body.
 */
import { PROBLEM_CONTENT_TYPE } from './problem';

type Operation = { requestBody?: unknown; responses?: Record<string, unknown> };
type Doc = { paths?: Record<string, Record<string, Operation>> };

const TITLES: Record<string, string> = {
  '400': 'Bad Request: the body is not valid JSON, or the request is invalid',
  '401': 'Unauthorized: the bearer token is missing (where one is needed), malformed, invalid or expired',
  '413': 'Content Too Large: the body is over 1 MiB (the connection is closed after this answer)',
  '415': 'Unsupported Media Type: bodies must be application/json',
};

const WITH_BODY = new Set(['post', 'put', 'patch', 'delete']);
const READS_JSON = new Set(['post', 'put', 'patch']);

export function withMiddlewareStatuses<D extends object>(document: D): D {
  const doc = document as Doc;
  const problem = { content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/Problem' } } } };
  for (const ops of Object.values(doc.paths ?? {})) {
    for (const [method, op] of Object.entries(ops)) {
      const responses = (op.responses ??= {});
      const add = (status: string) => {
        responses[status] ??= { description: TITLES[status], ...problem };
      };
      add('401');
      if (WITH_BODY.has(method)) add('413');
      if (READS_JSON.has(method)) add('415');
      if (op.requestBody) add('400');
    }
  }
  return document;
}
