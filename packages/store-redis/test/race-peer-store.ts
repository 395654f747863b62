/**
 * The store the conformance suite's race cases build in their child process (`peerProcess`): the same
 * prefix on the same server or cluster as the run's own store, through a client of its own.
 */
import { Cluster, Redis } from 'ioredis';
import { createRedisStore, type RedisSessionStore } from '../src/index.js';

export interface RacePeerArgs {
  prefix: string;
  /** A standalone server's URL, or the seed nodes of a cluster. */
  server: string | Array<{ host: string; port: number }>;
}

let client: Redis | Cluster;

export function createStore({ prefix, server }: RacePeerArgs): RedisSessionStore {
  client =
    typeof server === 'string'
      ? new Redis(server, { maxRetriesPerRequest: 1 })
      : new Cluster(server, { redisOptions: { maxRetriesPerRequest: 1 } });
  return createRedisStore(client, { prefix });
}

export async function dispose(): Promise<void> {
  await client.quit();
}
