import { runStoreConformance } from '@coatcheck/store-test-suite';
import { typeScriptExecArgv } from '@coatcheck/test-utils';
import { createMongoStore } from '../src/index.js';
import { type CreateClient, openTestDb } from './harness.js';
import type { RacePeerArgs } from './race-peer-store.js';

/** The shared store contract, run with one driver version against the test server. */
export function runMongoConformance(driver: string, createClient: CreateClient): void {
  const testDb = openTestDb(createClient);
  const { server } = testDb;
  if (!server.ttlIndexes) {
    console.info(`[store-mongo] ${server.name} refuses TTL indexes: the conformance run uses expiry 'sweep'`);
  }
  runStoreConformance({
    name: `Mongo store (${driver}, ${server.name})`,
    createStore: () => createMongoStore(testDb.db, { expiry: server.ttlIndexes ? 'native' : 'sweep' }),
    dispose: () => testDb.dispose(),
    // The race cases' other side: another process with a client of its own — on a server whose filtered
    // updates are atomic across connections. FerretDB v1's are not (see MongoServerInfo.atomicUpdates): a
    // compare-and-set there holds only on one connection, so both sides share the run's.
    peerProcess: server.atomicUpdates
      ? () => ({
          module: new URL('./race-peer-store.ts', import.meta.url),
          args: { url: server.url, dbName: testDb.name } satisfies RacePeerArgs,
          execArgv: typeScriptExecArgv(),
        })
      : undefined,
  });
}
