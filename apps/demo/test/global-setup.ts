// Before the demo's tests: generate its Prisma clients (skipped when up to date), and start the servers
// the demo cannot assume: a Redis Cluster and a MongoDB-wire server (FerretDB), each on free ports of the
// demo's own ranges (tools/test-utils), so neither the store packages' tests nor another run share them.
import { PORT_RANGES, RedisTestCluster, startFerretDb } from '@coatcheck/test-utils';
import type { TestProject } from 'vitest/node';
import { generatePrismaClient, PROVIDERS } from '../scripts/generate-prisma-clients.mjs';

declare module 'vitest' {
  export interface ProvidedContext {
    /** `redis://127.0.0.1:P,…`: the seed nodes of a 3-master cluster. */
    redisClusterUrl: string;
    /** `mongodb://127.0.0.1:P/`. */
    mongoUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const stops: Array<() => Promise<unknown>> = [];
  const stopAll = async () => {
    await Promise.allSettled(stops.map((stop) => stop()));
  };
  try {
    await Promise.all(PROVIDERS.map(generatePrismaClient));

    const cluster = await RedisTestCluster.start(PORT_RANGES.demoRedisCluster);
    stops.push(() => cluster.destroy());
    project.provide('redisClusterUrl', cluster.url);

    // The first run builds FerretDB (minutes); later runs reuse the cached binary.
    const mongo = await startFerretDb(PORT_RANGES.demoFerretDb);
    stops.push(() => mongo.stop());
    project.provide('mongoUrl', mongo.url);
  } catch (error) {
    await stopAll();
    throw error;
  }
  return stopAll;
}
