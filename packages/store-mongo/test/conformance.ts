import { runStoreConformance } from '@coatcheck/store-test-suite';
import { createMongoStore } from '../src/index.js';
import { type CreateClient, openTestDb } from './harness.js';

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
  });
}
