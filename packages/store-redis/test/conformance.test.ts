import { runStoreConformance } from '@coatcheck/store-test-suite';
import type { Cluster, Redis } from 'ioredis';
import { RedisStore } from '../src/index.js';
import { connectCluster, connectStandalone, deleteKeysWithPrefix, randomPrefix } from './helpers.js';

const redisOnly = { deleteExpired: false } as const;

let standalone: Redis;
const standalonePrefix = randomPrefix();
runStoreConformance({
  name: 'RedisStore (standalone)',
  capabilities: redisOnly,
  createStore: () => {
    standalone = connectStandalone();
    return new RedisStore({ client: standalone, prefix: standalonePrefix });
  },
  dispose: async () => {
    await deleteKeysWithPrefix(standalone, standalonePrefix);
    await standalone.quit();
  },
});

let cluster: Cluster;
runStoreConformance({
  name: 'RedisStore (cluster)',
  capabilities: redisOnly,
  createStore: () => {
    cluster = connectCluster();
    return new RedisStore({ client: cluster, prefix: randomPrefix() });
  },
  dispose: async () => {
    await cluster.quit();
  },
});
