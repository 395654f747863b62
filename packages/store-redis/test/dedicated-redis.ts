import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PORT_RANGES, type PortReservation, startOnFreePorts } from '@coatcheck/test-utils';

const run = promisify(execFile);

/**
 * A Redis server of a test's own, on a free port of store-redis's range: nothing else writes to it or loads
 * scripts on it, and it can be stopped and started again while the app keeps running. It saves to an RDB
 * file on shutdown and loads it on start, so sessions outlive a restart as they would on a persistent
 * production server (Redis 7 keeps no Lua scripts in the RDB file: they are gone after a restart).
 */
export class DedicatedRedis {
  private reservation: PortReservation | undefined;

  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  /** Starts a server on a free port of store-redis's range (another one if the port is taken first). */
  static async create(): Promise<DedicatedRedis> {
    const dir = await mkdtemp(join(tmpdir(), 'coatcheck-redis-'));
    const { value: server, reservation } = await startOnFreePorts(
      { range: PORT_RANGES.storeRedisServer, kind: 'redis-server' },
      async (port) => {
        const server = new DedicatedRedis(port, dir);
        await server.start();
        return server;
      },
      (port) => new DedicatedRedis(port, dir).cli('shutdown', 'nosave'),
    );
    server.reservation = reservation;
    return server;
  }

  async start(): Promise<void> {
    await run('redis-server', [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      this.dir,
      '--dbfilename',
      'dump.rdb',
      '--daemonize',
      'yes',
      '--pidfile',
      join(this.dir, 'redis.pid'),
      '--logfile',
      join(this.dir, 'redis.log'),
    ]);
    await this.until(async () => (await this.cli('ping')) === 'PONG', 'answer PING');
  }

  /** SHUTDOWN SAVE: the data goes to disk, every connection drops, the port closes. */
  async stop(): Promise<void> {
    await this.cli('shutdown', 'save').catch(() => undefined);
    await this.until(async () => (await this.cli('ping').catch(() => 'down')) !== 'PONG', 'stop');
  }

  async destroy(): Promise<void> {
    await this.cli('shutdown', 'nosave').catch(() => undefined);
    await rm(this.dir, { recursive: true, force: true });
    await this.reservation?.release();
  }

  private async cli(...args: string[]): Promise<string> {
    const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(this.port), ...args], {
      timeout: 10_000,
    });
    return stdout.trim();
  }

  private async until(condition: () => Promise<boolean>, what: string): Promise<void> {
    for (let waited = 0; waited < 30_000; waited += 100) {
      if (await condition().catch(() => false)) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`redis-server on port ${this.port} did not ${what} within 30 s`);
  }
}
