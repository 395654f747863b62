import { runStoreConformance } from '@coatcheck/store-test-suite';
import { type RedisClientLike, RedisStore } from '../src/index.js';
import { randomPrefix } from './helpers.js';

/** A standalone client as the suite uses it: the store's commands plus what cleaning up needs. */
interface StandaloneClient extends RedisClientLike {
  scan(
    cursor: string,
    match: 'MATCH',
    pattern: string,
    count: 'COUNT',
    n: number,
  ): Promise<[string, string[]]>;
  del(...keys: string[]): Promise<number>;
  quit(): Promise<unknown>;
}

/** Clients of one ioredis major version, made with the options the README recommends. */
export interface Connect {
  standalone(): StandaloneClient;
  cluster(): RedisClientLike & { quit(): Promise<unknown> };
}

/** The shared store contract on a standalone server and on a Redis Cluster, through one ioredis version. */
export function runRedisConformance(driver: string, connect: Connect): void {
  const redisOnly = { deleteExpired: false } as const;

  let standalone: StandaloneClient;
  const standalonePrefix = randomPrefix();
  runStoreConformance({
    name: `RedisStore (${driver}, standalone)`,
    capabilities: redisOnly,
    createStore: () => {
      standalone = connect.standalone();
      return new RedisStore({ client: standalone, prefix: standalonePrefix });
    },
    dispose: async () => {
      await deleteKeys(standalone, standalonePrefix);
      await standalone.quit();
    },
  });

  let cluster: ReturnType<Connect['cluster']>;
  runStoreConformance({
    name: `RedisStore (${driver}, cluster)`,
    capabilities: redisOnly,
    createStore: () => {
      // Cluster nodes are thrown away after the run, so their keys need no cleanup.
      cluster = connect.cluster();
      return new RedisStore({ client: cluster, prefix: randomPrefix() });
    },
    dispose: async () => {
      await cluster.quit();
    },
  });
}

/** Deletes every key under `prefix` on the shared standalone server. */
async function deleteKeys(client: StandaloneClient, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    if (keys.length > 0) await client.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}
