import { randomUUID } from 'node:crypto';
import { PORT_RANGES, startFerretDb } from '@coatcheck/test-utils';
import { MongoClient } from 'mongodb';
import type { TestProject } from 'vitest/node';

/** What the tests learn about the server they run against. */
export interface MongoServerInfo {
  url: string;
  /** e.g. `FerretDB v1.24.2` or `MongoDB 8.0.4`. */
  name: string;
  /** Whether the server accepts a TTL index (`expireAfterSeconds`), found by trying. */
  ttlIndexes: boolean;
  /**
   * Whether a filtered update matches and writes atomically across connections. FerretDB v1 does not
   * (it reads, filters, then writes by `_id`: FerretDB#3040), so tests give it a single connection.
   */
  atomicUpdates: boolean;
}

declare module 'vitest' {
  export interface ProvidedContext {
    mongo: MongoServerInfo;
  }
}

/**
 * Uses `MONGO_URL` when set; otherwise starts FerretDB (built once and cached by scripts/ferretdb.sh)
 * on a free port of store-mongo's range, so parallel projects and concurrent runs never share a server.
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  let url = process.env.MONGO_URL;
  let stop: (() => Promise<void>) | undefined;
  if (!url) {
    const started = await startFerretDb(PORT_RANGES.storeMongoFerretDb);
    url = started.url;
    stop = () => started.stop();
  }
  try {
    project.provide('mongo', await describeServer(url));
  } catch (error) {
    await stop?.();
    throw error;
  }
  return stop;
}

async function describeServer(url: string): Promise<MongoServerInfo> {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 10_000 });
  try {
    const info = await client.db('admin').command({ buildInfo: 1 });
    const ferretdb = typeof info.ferretdbVersion === 'string' ? info.ferretdbVersion : null;
    const probe = client.db(`coatcheck_probe_${randomUUID().slice(0, 8)}`);
    const ttlIndexes = await probe
      .collection('probe')
      .createIndex({ at: 1 }, { expireAfterSeconds: 0 })
      .then(
        () => true,
        () => false,
      );
    await probe.dropDatabase();
    return {
      url,
      name: ferretdb ? `FerretDB ${ferretdb}` : `MongoDB ${info.version}`,
      ttlIndexes,
      atomicUpdates: !ferretdb?.startsWith('v1.'),
    };
  } finally {
    await client.close();
  }
}
