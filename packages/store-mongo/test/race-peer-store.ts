/**
 * The store the conformance suite's race cases build in their child process (`peerProcess`): the run's
 * own database on the test server, through a MongoDB client (driver 7) of its own.
 */
import { MongoClient } from 'mongodb';
import { createMongoStore, type MongoSessionStore } from '../src/index.js';

export interface RacePeerArgs {
  url: string;
  dbName: string;
}

let client: MongoClient;

export function createStore({ url, dbName }: RacePeerArgs): MongoSessionStore {
  client = new MongoClient(url);
  // The run's own store keeps the indexes and sweeps; this one only takes part in the races.
  return createMongoStore(client.db(dbName), { expiry: 'off', ensureIndexesOnStart: false });
}

export async function dispose(): Promise<void> {
  await client.close();
}
