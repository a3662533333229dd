/**
 * The local stack's Temporal piece: `temporal server start-dev` on SQLite, its command line, and
 * its health (gRPC answering, namespace present, the project's search attributes registered, UI 200).
 */
import { Connection } from '@temporalio/client';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import { ML_SEARCH_ATTRIBUTES, searchAttributeCliArgs } from '../../common/search-attributes';

export interface TemporalSettings {
  binary: string;
  dbFile: string;
  port: number;
  uiPort: number;
  namespace: string;
  /** The codec server the UI calls to show encrypted payloads (`mlops codec-server`). */
  uiCodecEndpoint?: string;
  /** SQLite pragmas of the database file. @default SQLITE_PRAGMAS */
  sqlitePragmas?: readonly string[];
}

/**
 * The database file in write-ahead-log mode, synced at checkpoints rather than at every commit:
 * the SQLite default (a rollback journal, fsynced several times per commit) makes every workflow
 * update wait on the disk, and under a few hundred concurrent runs the server's persistence calls
 * time out (bench/orchestration-load.ts counts them). A killed server loses nothing in this mode (the
 * log is in the OS's cache); a power cut may lose the last commits, not the file's consistency.
 */
export const SQLITE_PRAGMAS: readonly string[] = ['journal_mode=wal', 'synchronous=normal'];

/** The argv that starts the dev server (loopback only, quiet logs, SQLITE_PRAGMAS). */
export function temporalCommand(s: TemporalSettings): string[] {
  return [
    s.binary,
    'server',
    'start-dev',
    '--db-filename',
    s.dbFile,
    '--ip',
    '127.0.0.1',
    '--port',
    String(s.port),
    '--ui-port',
    String(s.uiPort),
    '--namespace',
    s.namespace,
    ...searchAttributeCliArgs(),
    ...(s.uiCodecEndpoint ? ['--ui-codec-endpoint', s.uiCodecEndpoint] : []),
    ...(s.sqlitePragmas ?? SQLITE_PRAGMAS).flatMap((pragma) => ['--sqlite-pragma', pragma]),
    '--log-level',
    'warn',
  ];
}

/**
 * One health probe: gRPC answers, the namespaces exist, the search attributes are registered
 * (added when missing: start-dev registers them only when it creates the SQLite file) and the UI
 * answers 200. Resolves to `undefined` when healthy, else what is not ready yet.
 */
export async function probeTemporal(address: string, namespace: string, uiUrl: string): Promise<string | undefined> {
  let connection: Connection;
  try {
    connection = await Connection.connect({ address, connectTimeout: '2s' });
  } catch (err) {
    return `gRPC at ${address} not answering (${(err as Error).message})`;
  }
  try {
    await connection.workflowService.getSystemInfo({});
    for (const ns of new Set(['default', namespace])) {
      await connection.workflowService.describeNamespace({ namespace: ns });
      await ensureSearchAttributes(connection, ns);
    }
  } catch (err) {
    return `server at ${address} not ready (${(err as Error).message})`;
  } finally {
    await connection.close();
  }
  try {
    const res = await fetch(uiUrl, { signal: AbortSignal.timeout(2000) });
    await res.body?.cancel();
    return res.status === 200 ? undefined : `UI at ${uiUrl} answered ${res.status}`;
  } catch (err) {
    return `UI at ${uiUrl} not answering (${(err as Error).message})`;
  }
}

type IndexedValueType = NonNullable<ReturnType<typeof encodeSearchAttributeIndexedValueType>>;

async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  const listed = await connection.operatorService.listSearchAttributes({ namespace });
  const present = new Set(Object.keys(listed.customAttributes ?? {}));
  const missing = ML_SEARCH_ATTRIBUTES.filter((key) => !present.has(key.name));
  if (missing.length === 0) return;
  const searchAttributes: Record<string, IndexedValueType> = {};
  for (const key of missing) {
    const type = encodeSearchAttributeIndexedValueType(key.type);
    if (type !== undefined) searchAttributes[key.name] = type;
  }
  await connection.operatorService.addSearchAttributes({ namespace, searchAttributes });
}
