/** The event types a subscription may name are every type the activities write to the timeline. */
import fs from 'node:fs';
import path from 'node:path';
import { NEEDS_ATTENTION_EVENT, WEBHOOK_EVENT_TYPES } from '../../contract';

const root = path.join(__dirname, '..', '..', 'activities');
const sources = (fs.readdirSync(root, { recursive: true }) as string[])
  .filter((f) => f.endsWith('.ts'))
  .map((f) => fs.readFileSync(path.join(root, f), 'utf8'));

test('every event type literal in activities/ is a webhook event type, and the list has no strays', () => {
  const written = new Set<string>([NEEDS_ATTENTION_EVENT]);
  for (const text of sources)
    for (const m of text.matchAll(/'((?:order|payment|inventory|notification|compensation)\.[a-z_]+)'/g))
      written.add(m[1]!);
  expect([...written].filter((t) => !(WEBHOOK_EVENT_TYPES as readonly string[]).includes(t))).toEqual([]);
  expect(WEBHOOK_EVENT_TYPES.filter((t) => !written.has(t))).toEqual([]);
});
