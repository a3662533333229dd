/** Opens a Temporal client from config, with a clear error when the server is not reachable. */
import { Client, Connection } from '@temporalio/client';
import type { LoadedConfig } from '../lib/config';
import { UserError } from '../common/errors';
import { EXIT } from './exit-codes';
import { clientDataConverter } from '../lib/codec/aes-gcm';

/** Runs `fn` with a connected client and closes the connection after. */
export async function withClient<T>(config: LoadedConfig, fn: (client: Client) => Promise<T>): Promise<T> {
  let connection: Connection;
  try {
    connection = await Connection.connect({ ...config.temporal.connectionOptions, connectTimeout: '5s' });
  } catch (err) {
    throw new UserError(
      `cannot reach Temporal at ${config.temporal.address} (${(err as Error).message}); start the local stack with \`mlops dev up\`, or give --address or TEMPORAL_ADDRESS`,
      EXIT.unreachable,
      { cause: err },
    );
  }
  try {
    const dataConverter = clientDataConverter();
    return await fn(
      new Client({ connection, namespace: config.temporal.namespace, ...(dataConverter && { dataConverter }) }),
    );
  } finally {
    await connection.close();
  }
}
