/**
 * Reads a workflow history exported by `temporal workflow show --output json` into the SDK's History object.
 * @temporalio/common's historyFromJSON fails in this install ("type must be a Type": two copies of protobufjs, and
 * the protojson of one rejects the types of the other), so the conversion uses the copy @temporalio/proto loaded.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as proto from '@temporalio/proto';
import { patchProtobufRoot } from '@temporalio/proto/lib/patch-protobuf-root';
import { historyFromJSON, type History } from '@temporalio/common/lib/proto-utils';

function viaProtoCopy(json: unknown): History {
  const protoDir = path.dirname(require.resolve('@temporalio/proto'));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { fromJson } = require(require.resolve('protobufjs/ext/protojson', { paths: [protoDir] })) as {
    fromJson: (type: unknown, value: unknown, opts: unknown) => History | null;
  };
  const historyType = (patchProtobufRoot(proto) as unknown as { lookupType(name: string): unknown }).lookupType(
    'temporal.api.history.v1.History',
  );
  const loaded = fromJson(historyType, json, { ignoreUnknownFields: true });
  if (!loaded) throw new TypeError('Invalid history');
  return loaded;
}

export function parseHistory(json: unknown): History {
  try {
    return historyFromJSON(json);
  } catch (err) {
    if (!(err instanceof TypeError) || !/must be a Type/.test(err.message)) throw err;
    return viaProtoCopy(json);
  }
}

export function readHistoryFile(file: string): History {
  return parseHistory(JSON.parse(fs.readFileSync(file, 'utf8')));
}
