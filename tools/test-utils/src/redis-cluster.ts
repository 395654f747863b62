import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CLUSTER_BUS_OFFSET,
  type PortRange,
  type PortReservation,
  startOnFreePorts,
  stopOrphans,
} from './ports.js';
import { lastLine, repositoryScript, run } from './run.js';

const KIND = 'redis-cluster';
// The script's stop and clean-up cover base..base+5 whatever the topology.
const NODE_PORTS = 6;
const script = repositoryScript('redis-cluster.sh');

/**
 * A throwaway Redis Cluster of three masters (no replicas) on loopback, started and stopped with
 * `scripts/redis-cluster.sh` on ports of its own in `range`. Its nodes keep nothing on disk.
 */
export class RedisTestCluster {
  private constructor(
    /** The first node's port; the nodes use base..base+2, their bus ports base+10000... */
    readonly basePort: number,
    /** Seed URLs as the script prints them: `redis://127.0.0.1:P,redis://127.0.0.1:P+1,…`. */
    readonly url: string,
    private readonly reservation: PortReservation,
  ) {}

  /**
   * Stops clusters of runs that died before their teardown, then starts one on a free block of `range`
   * (another block if a port is taken before the nodes bind it).
   */
  static async start(range: PortRange): Promise<RedisTestCluster> {
    await stopOrphans(KIND, (basePort) => destroyNodes(basePort));
    const { value: url, reservation } = await startOnFreePorts(
      { range, count: NODE_PORTS, busOffset: CLUSTER_BUS_OFFSET, kind: KIND },
      (basePort) => startNodes(basePort),
      (basePort) => destroyNodes(basePort),
    );
    return new RedisTestCluster(reservation.basePort, url, reservation);
  }

  /** The seed nodes, for `new Cluster(seeds)`. */
  seeds(): Array<{ host: string; port: number }> {
    return this.url.split(',').map((url) => {
      const { hostname, port } = new URL(url);
      return { host: hostname, port: Number(port) };
    });
  }

  /** Shuts every node down; the data is gone. */
  async stop(): Promise<void> {
    await run(script, ['stop', String(this.basePort)], { env: scriptEnv(), timeoutMs: 90_000 });
  }

  /** Starts the nodes again on the same ports, empty. */
  async start(): Promise<void> {
    await startNodes(this.basePort);
  }

  /** Stops the cluster, removes what the script left, and frees the ports. */
  async destroy(): Promise<void> {
    await destroyNodes(this.basePort);
    await this.reservation.release();
  }
}

async function startNodes(basePort: number): Promise<string> {
  return lastLine(await run(script, ['start', String(basePort)], { env: scriptEnv(), timeoutMs: 90_000 }));
}

async function destroyNodes(basePort: number): Promise<void> {
  await run(script, ['stop', String(basePort)], { env: scriptEnv(), timeoutMs: 90_000 });
  // The script keeps its lock file beside the data dir; each test cluster's ports are its own.
  await rm(join(process.env.TMPDIR ?? tmpdir(), `coatcheck-redis-cluster-${basePort}.lock`), { force: true });
}

function scriptEnv(): NodeJS.ProcessEnv {
  return { ...process.env, REDIS_CLUSTER_REPLICAS: '0' };
}
