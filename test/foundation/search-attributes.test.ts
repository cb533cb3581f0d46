/**
 * Every way Orderly runs Temporal registers the checkout's search attributes, as contract/search-attributes.ts defines
 * them: the dev server's flags (make start, tests) and create-namespace.sh (make cluster, docker compose).
 */
import fs from 'node:fs';
import path from 'node:path';
import { ORDER_SEARCH_ATTRIBUTES, searchAttributeRegistrations } from '../../contract';
import { searchAttributeFlags } from '../../scripts/temporal-dev-server';

const root = path.resolve(__dirname, '..', '..');

test('the contract names each attribute with its type, as the CLI registers it', () => {
  expect(searchAttributeRegistrations()).toEqual([
    'OrderStatus=Keyword',
    'PaymentState=Keyword',
    'CustomerId=Keyword',
    'OrderTotalCents=Int',
    'NeedsAttention=Bool',
  ]);
  expect(ORDER_SEARCH_ATTRIBUTES.map((k) => k.name)).toHaveLength(5);
});

test('the dev server is started with every one of them', () => {
  expect(searchAttributeFlags()).toEqual(searchAttributeRegistrations().flatMap((p) => ['--search-attribute', p]));
});

test('create-namespace.sh (make cluster, compose) registers the same list', () => {
  const script = fs.readFileSync(path.join(root, 'deploy', 'temporal', 'create-namespace.sh'), 'utf8');
  const line = /^SEARCH_ATTRIBUTES="([^"]*)"$/m.exec(script);
  expect(line?.[1]?.split(' ')).toEqual(searchAttributeRegistrations());
});
