import { type PeerProcess, runStoreConformance, type StoreSuite } from '@coatcheck/store-test-suite';
import { typeScriptExecArgv } from '@coatcheck/test-utils';
import { expect, it } from 'vitest';
import { createRedisStore, type RedisClientLike, type RedisSessionStore } from '../src/index.js';
import {
  clusterSeeds,
  deleteKeysWithPrefix,
  newId,
  randomPrefix,
  record,
  type ScanningClient,
  standaloneUrl,
} from './helpers.js';
import type { RacePeerArgs } from './race-peer-store.js';

/** A client as these tests use it, whichever the ioredis version: the store's commands and a few more. */
interface TestClient extends RedisClientLike {
  pttl(key: string): Promise<number>;
  zscore(key: string, member: string): Promise<string | null>;
  quit(): Promise<unknown>;
}

/** Clients of one ioredis major version, made with the options the README recommends. */
export interface Connect {
  standalone(): TestClient & ScanningClient;
  cluster(): TestClient;
}

/** The shared store contract on a standalone server and on a Redis Cluster, through one ioredis version. */
export function runRedisConformance(driver: string, connect: Connect): void {
  let standalone: ReturnType<Connect['standalone']>;
  const standalonePrefix = randomPrefix();
  runStoreConformance({
    name: `Redis store (${driver}, standalone)`,
    createStore: () => {
      standalone = connect.standalone();
      return createRedisStore(standalone, { prefix: standalonePrefix });
    },
    dispose: async () => {
      await deleteKeysWithPrefix(standalone, standalonePrefix);
      await standalone.quit();
    },
    peerProcess: () => racePeer({ prefix: standalonePrefix, server: standaloneUrl }),
    additionalTests: (suite) => keyLayoutCases(suite, () => standalone),
  });

  let cluster: TestClient;
  const clusterPrefix = randomPrefix();
  runStoreConformance({
    name: `Redis store (${driver}, cluster)`,
    createStore: () => {
      // Cluster nodes are thrown away after the run, so their keys need no cleanup.
      cluster = connect.cluster();
      return createRedisStore(cluster, { prefix: clusterPrefix });
    },
    dispose: async () => {
      await cluster.quit();
    },
    peerProcess: () => racePeer({ prefix: clusterPrefix, server: clusterSeeds() }),
    additionalTests: (suite) => keyLayoutCases(suite, () => cluster),
  });
}

/** The race cases' other side: another process, with its own ioredis 5 client on the same keys. */
function racePeer(args: RacePeerArgs): PeerProcess {
  return { module: new URL('./race-peer-store.ts', import.meta.url), args, execArgv: typeScriptExecArgv() };
}

/** What the README says Redis holds, on each ioredis version and topology. */
function keyLayoutCases(suite: StoreSuite<RedisSessionStore>, client: () => TestClient): void {
  it('keeps a record as a hash at <prefix>session:<id> that Redis expires at its deadline', async () => {
    const id = newId();
    const writeStartedAt = Date.now();
    const r = record({ idleExpiresAt: writeStartedAt + 30_000 });
    await suite.store.create(id, r);
    const key = suite.store.recordKey(id);
    expect(await client().hgetall(key)).toMatchObject({
      version: '1',
      idleExpiresAt: String(r.idleExpiresAt),
    });
    const ttlMs = await client().pttl(key);
    expect(ttlMs).toBeGreaterThan(0);
    expect(ttlMs).toBeLessThanOrEqual(r.idleExpiresAt - writeStartedAt + 1);
  });

  it("indexes a user's record at <prefix>user:<userId>, scored by its absolute deadline", async () => {
    const id = newId();
    const user = `user-${newId()}`;
    const r = record({ userId: user });
    await suite.store.create(id, r);
    expect(await client().zscore(suite.store.userIndexKey(user), id)).toBe(String(r.absoluteExpiresAt));
  });
}
