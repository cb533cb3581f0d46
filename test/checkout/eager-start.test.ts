/**
 * Eager start (api/routes/checkout.ts canStartEagerly): the API asks for it only when its client shares a
 * NativeConnection with a worker in the same process (make start); a client on its own gRPC connection (the API
 * processes of make cluster) must not ask, or every start would throw.
 */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { canStartEagerly } from '../../api/routes/checkout';

const address = () => process.env.ORDERLY_TEST_TEMPORAL_ADDRESS!;

test('a client on a NativeConnection starts checkouts eagerly', async () => {
  const connection = await NativeConnection.connect({ address: address() });
  try {
    expect(canStartEagerly(new Client({ connection }))).toBe(true);
  } finally {
    await connection.close();
  }
});

test('a client on its own gRPC connection does not ask for eager start', async () => {
  const connection = Connection.lazy({ address: address() });
  try {
    expect(canStartEagerly(new Client({ connection }))).toBe(false);
  } finally {
    await connection.close();
  }
});
