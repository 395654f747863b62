import { randomUUID } from 'node:crypto';
import { Cluster, Redis } from 'ioredis';
import { inject } from 'vitest';

/** The machine's Redis; `REDIS_URL` overrides. */
export const standaloneUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A prefix no other run or package uses, so tests never collide and cleanup is exact. */
export function randomPrefix(): string {
  return `coatcheck-test:${randomUUID()}:`;
}

/** A standalone client with the options the README recommends. */
export function connectStandalone(url = standaloneUrl): Redis {
  return new Redis(url, { maxRetriesPerRequest: 1 });
}

/** The seed nodes of the cluster the global setup started. */
export function clusterSeeds(): Array<{ host: string; port: number }> {
  return inject('redisClusterUrl')
    .split(',')
    .map((url) => {
      const { hostname, port } = new URL(url);
      return { host: hostname, port: Number(port) };
    });
}

/** A cluster client with the options the README recommends. */
export function connectCluster(): Cluster {
  return new Cluster(clusterSeeds(), { redisOptions: { maxRetriesPerRequest: 1 } });
}

/** What cleaning up a standalone server needs, as every ioredis `Redis` (5 or 6) has it. */
export interface ScanningClient {
  scan(
    cursor: string,
    match: 'MATCH',
    pattern: string,
    count: 'COUNT',
    n: number,
  ): Promise<[string, string[]]>;
  del(...keys: string[]): Promise<number>;
}

/** Deletes every key under `prefix` on a standalone server (cluster nodes are thrown away instead). */
export async function deleteKeysWithPrefix(client: ScanningClient, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    if (keys.length > 0) await client.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A test-only cookie-signing secret (32+ bytes). */
export const SECRET = 'store-redis-test-secret-0123456789abcdef';

/** The `name=value` pair of a commit's Set-Cookie header, as a browser would send it back. */
export function cookieOf(headers: Array<[string, string]>): string {
  const setCookie = headers.find(([name]) => name === 'Set-Cookie')?.[1];
  if (!setCookie) throw new Error('the commit set no cookie');
  return setCookie.split(';')[0] as string;
}

// A live record (deadlines a minute or two ahead) and a fresh id shaped like a real one: the suite's own.
export { makeRecord as record, newId } from '@coatcheck/store-test-suite';

/** Both topologies, for tests that must hold on each. */
export const topologies = [
  { name: 'standalone', connect: (): Redis | Cluster => connectStandalone() },
  { name: 'cluster', connect: (): Redis | Cluster => connectCluster() },
] as const;
