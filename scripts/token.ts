/** `npm run token -- --sub <uuid> --role <customer|admin> [--ttl <seconds>]` prints a bearer token for the API. */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { mintToken, ROLES } from '../api/auth';
import { loadConfigOrExit } from '../lib/entry';

const USAGE = 'usage: npm run token -- --sub <uuid> --role <customer|admin> [--ttl <seconds>]';

export async function tokenFromArgs(argv: string[], secret: string): Promise<string> {
  const { values } = parseArgs({
    args: argv,
    options: {
      sub: { type: 'string' },
      role: { type: 'string', default: 'customer' },
      ttl: { type: 'string', default: '604800' },
    },
  });
  const parsed = z
    .object({ sub: z.uuid(), role: z.enum(ROLES), ttl: z.coerce.number().int().positive() })
    .safeParse({ sub: values.sub ?? randomUUID(), role: values.role, ttl: values.ttl });
  if (!parsed.success) {
    throw new Error(`${parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('; ')}\n${USAGE}`);
  }
  return mintToken(secret, { sub: parsed.data.sub, role: parsed.data.role }, parsed.data.ttl);
}

if (require.main === module) {
  const config = loadConfigOrExit('token');
  tokenFromArgs(process.argv.slice(2), config.auth.jwtSecret)
    .then((token) => console.log(token))
    .catch((err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    });
}
