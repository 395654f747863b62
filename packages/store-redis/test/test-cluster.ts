import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const clusterScript = fileURLToPath(new URL('../../../scripts/redis-cluster.sh', import.meta.url));
const env = { ...process.env, REDIS_CLUSTER_REPLICAS: '0' };
const tempDir = process.env.TMPDIR ?? tmpdir();
// One file per running test cluster, named by base port, holding the pid of the process that owns it.
const ownersDir = join(tempDir, 'coatcheck-store-redis-test-clusters');

/**
 * A throwaway 3-master Redis Cluster on loopback, started and stopped with `scripts/redis-cluster.sh`.
 * The base port is random and checked free (cluster-bus ports included), so two test runs on one machine,
 * or other packages' clusters, never share nodes.
 */
export class TestCluster {
  private constructor(readonly basePort: number) {}

  /** Picks free ports and starts the cluster. */
  static async start(): Promise<{ cluster: TestCluster; url: string }> {
    await TestCluster.stopOrphans();
    const cluster = new TestCluster(await findFreeBasePort());
    await mkdir(ownersDir, { recursive: true });
    await writeFile(join(ownersDir, String(cluster.basePort)), String(process.pid));
    return { cluster, url: await cluster.start() };
  }

  /**
   * Stops clusters whose test run was killed before its teardown (e.g. by a timeout): their owner
   * process is gone. Clusters of runs still going, and anything this file did not start, are left alone.
   */
  static async stopOrphans(): Promise<void> {
    const entries = await readdir(ownersDir).catch(() => [] as string[]);
    for (const entry of entries) {
      const owner = Number(await readFile(join(ownersDir, entry), 'utf8').catch(() => 'NaN'));
      if (!Number.isInteger(owner) || isRunning(owner)) continue;
      await new TestCluster(Number(entry)).destroy().catch(() => undefined);
    }
  }

  /** Starts (or starts again, empty) the nodes; returns the seed URLs `redis://127.0.0.1:P,…`. */
  async start(): Promise<string> {
    const { stdout } = await run(clusterScript, ['start', String(this.basePort)], { env, timeout: 90_000 });
    return stdout.trim();
  }

  /** Shuts every node down (their data is discarded). */
  async stop(): Promise<void> {
    await run(clusterScript, ['stop', String(this.basePort)], { env, timeout: 90_000 });
  }

  /** Stops the cluster and removes the lock file the script leaves for its (random, never reused) port. */
  async destroy(): Promise<void> {
    await this.stop();
    await rm(join(tempDir, `coatcheck-redis-cluster-${this.basePort}.lock`), { force: true });
    await rm(join(ownersDir, String(this.basePort)), { force: true });
  }
}

async function findFreeBasePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 21_000 + 10 * Math.floor(Math.random() * 800);
    // The script's stop/cleanup covers base..base+5; node ports and bus ports (+10000) must be free.
    const ports = [0, 1, 2, 3, 4, 5].flatMap((i) => [base + i, base + i + 10_000]);
    if ((await Promise.all(ports.map(isFree))).every(Boolean)) return base;
  }
  throw new Error('no free base port for a test Redis Cluster in 21000-28999');
}

/** True when nothing listens on `port` (loopback). */
export function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
