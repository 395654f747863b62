// Before the demo's tests: generate its Prisma clients (skipped when up to date), and start the servers
// the demo cannot assume: a Redis Cluster and a MongoDB-wire server (FerretDB), each on free ports of
// their own, so neither the store packages' tests nor another run ever share them.
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
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

const run = promisify(execFile);
const script = (name: string) => fileURLToPath(new URL(`../../../scripts/${name}`, import.meta.url));

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const stops: Array<() => Promise<unknown>> = [];
  const stopAll = async () => {
    await Promise.allSettled(stops.map((stop) => stop()));
  };
  try {
    await Promise.all(PROVIDERS.map(generatePrismaClient));

    const basePort = await freeClusterBasePort();
    const clusterEnv = { ...process.env, REDIS_CLUSTER_REPLICAS: '0' };
    const cluster = await run(script('redis-cluster.sh'), ['start', String(basePort)], {
      env: clusterEnv,
      timeout: 90_000,
    });
    stops.push(() =>
      run(script('redis-cluster.sh'), ['stop', String(basePort)], { env: clusterEnv, timeout: 60_000 }),
    );
    project.provide('redisClusterUrl', cluster.stdout.trim());

    const mongo = await startFerretDb();
    stops.push(mongo.stop);
    project.provide('mongoUrl', mongo.url);
  } catch (error) {
    await stopAll();
    throw error;
  }
  return stopAll;
}

async function startFerretDb(): Promise<{ url: string; stop: () => Promise<unknown> }> {
  // A port that was free a moment ago can be taken before FerretDB binds it: try a few.
  for (let attempt = 1; ; attempt++) {
    const port = String(await freePort());
    try {
      // The first run builds FerretDB (minutes); later runs reuse the cached binary.
      const { stdout } = await run(script('ferretdb.sh'), ['start', port], { timeout: 600_000 });
      const url = stdout.trim().split('\n').at(-1) as string;
      return { url, stop: () => run(script('ferretdb.sh'), ['stop', port], { timeout: 60_000 }) };
    } catch (error) {
      if (attempt === 3) throw error;
    }
  }
}

/** A base port whose six node ports and their cluster-bus ports (+10000) are free (31000–38990). */
async function freeClusterBasePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 31_000 + 10 * Math.floor(Math.random() * 800);
    const ports = [0, 1, 2, 3, 4, 5].flatMap((offset) => [base + offset, base + offset + 10_000]);
    if ((await Promise.all(ports.map(isFree))).every(Boolean)) return base;
  }
  throw new Error('no free base port for the demo tests’ Redis Cluster in 31000–38999');
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
