import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import type { MongoDbLike } from '../src/index.js';

/** What the tests need from a driver's `MongoClient`; driver 6's and 7's both fit. */
export interface TestClient {
  db(name: string): MongoDbLike & { dropDatabase(): Promise<unknown> };
  close(): Promise<void>;
}

export type CreateClient<Client extends TestClient = TestClient> = (
  url: string,
  options: { maxPoolSize?: number },
) => Client;

/** A client on the test server and a database of its own, so runs and test files never collide. */
export function openTestDb<Client extends TestClient>(createClient: CreateClient<Client>) {
  const server = inject('mongo');
  // One connection makes FerretDB v1 apply operations in order, which is what MongoDB's per-document
  // atomicity gives across any number of connections (see MongoServerInfo.atomicUpdates).
  const client = createClient(server.url, server.atomicUpdates ? {} : { maxPoolSize: 1 });
  const name = `coatcheck_store_mongo_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const db = client.db(name) as ReturnType<Client['db']>;
  return {
    server,
    client,
    db,
    name,
    async dispose(): Promise<void> {
      await db.dropDatabase();
      await client.close();
    },
  };
}
