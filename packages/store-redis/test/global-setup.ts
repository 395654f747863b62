import { PORT_RANGES, RedisTestCluster } from '@coatcheck/test-utils';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Seed URLs of the 3-master cluster this run started: `redis://127.0.0.1:P,…`. */
    redisClusterUrl: string;
  }
}

/** Starts the Redis Cluster the tests share for this run, and stops it afterwards. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cluster = await RedisTestCluster.start(PORT_RANGES.storeRedisCluster);
  project.provide('redisClusterUrl', cluster.url);
  return () => cluster.destroy();
}
