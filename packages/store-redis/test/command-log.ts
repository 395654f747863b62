import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { expect, vi } from 'vitest';

interface Seen {
  port: number;
  /** The sending connection's `host:port` as the server sees it (`lua` for commands run by a script). */
  source: string;
  args: string[];
}

/**
 * Watches, with MONITOR on connections of its own, every command some connections send to one or more
 * servers on 127.0.0.1 (a standalone server, or each master of a Cluster). Commands run inside a Lua script
 * show as `lua` and are not round trips; they are not counted.
 */
export class CommandLog {
  private readonly seen: Seen[] = [];

  private constructor(private readonly monitors: Redis[]) {}

  /** Starts a MONITOR on each server; from when it returns, every command those servers run is seen. */
  static async start(ports: readonly number[]): Promise<CommandLog> {
    // A MONITOR is not resumed after its server restarts (a test that restarts one starts a new log).
    const options = { host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null };
    const monitors = await Promise.all(ports.map((port) => new Redis({ ...options, port }).monitor()));
    const log = new CommandLog(monitors);
    monitors.forEach((monitor, i) => {
      monitor.on('error', () => undefined);
      monitor.on('monitor', (_time: string, args: string[], source: string) => {
        log.seen.push({ port: ports[i] as number, source, args });
      });
    });
    return log;
  }

  /**
   * The commands `connections` (the store's client, or its Cluster's master nodes) sent while `action` ran,
   * between two ECHO markers sent on each of them; for several connections, one's after the other's.
   */
  async during(connections: readonly Redis[], action: () => Promise<unknown>): Promise<string[][]> {
    const watched = await Promise.all(
      connections.map(async (connection) => {
        const info = (await connection.client('INFO')) as string;
        const address = /\baddr=(\S+)/.exec(info)?.[1];
        if (!address) throw new Error(`no addr in CLIENT INFO: ${info}`);
        return { connection, port: connection.options.port as number, address };
      }),
    );
    const start = `start-${randomUUID()}`;
    const end = `end-${randomUUID()}`;
    await Promise.all(watched.map(({ connection }) => connection.echo(start)));
    await action();
    await Promise.all(watched.map(({ connection }) => connection.echo(end)));
    const sentBy = ({ port, address }: (typeof watched)[number]) =>
      this.seen.filter((seen) => seen.port === port && seen.source === address).map((seen) => seen.args);
    await vi.waitFor(
      () => {
        for (const one of watched) {
          expect(sentBy(one).map((args) => args[1])).toEqual(expect.arrayContaining([start, end]));
        }
      },
      { timeout: 10_000 },
    );
    // Between the markers, everything the server ran counts, whichever connection sent it: after a cluster
    // restart ioredis may route a command through a node connection it opened after the markers' one.
    // The client's own upkeep (slot refreshes, handshakes) is not the store's and is left out.
    return [...new Set(watched.map(({ port }) => port))].flatMap((port) => {
      // A script's own commands show with the source `lua`: they run inside the EVALSHA, not as round trips.
      const onPort = this.seen
        .filter((seen) => seen.port === port && seen.source !== 'lua')
        .map((seen) => seen.args);
      const from = onPort.findIndex((args) => args[1] === start);
      const to = onPort.map((args) => args[1]).lastIndexOf(end);
      return onPort
        .slice(from + 1, to)
        .filter((args) => !isUpkeep(args) && args[1] !== start && args[1] !== end);
    });
  }

  stop(): void {
    for (const monitor of this.monitors) monitor.disconnect();
  }
}

/**
 * `true` for what ioredis sends on its own, not on the store's behalf. Its ready check is a bare `INFO`;
 * the store's own `INFO server` (asked once, see `redis-store.ts`) is counted.
 */
function isUpkeep(args: string[]): boolean {
  const name = args[0]?.toLowerCase() ?? '';
  return CLIENT_UPKEEP.has(name) && !(name === 'info' && args[1]?.toLowerCase() === 'server');
}

/** Commands ioredis sends on its own (handshakes, slot refreshes, our markers), not on the store's behalf. */
const CLIENT_UPKEEP = new Set([
  'cluster',
  'info',
  'client',
  'readonly',
  'ping',
  'select',
  'auth',
  'hello',
  'command',
]);

/** The command names, lower case. */
export const names = (commands: string[][]): string[] => commands.map((args) => args[0]?.toLowerCase() ?? '');

/** The first argument of each command: the SHA-1 of an EVALSHA. */
export const scriptsRun = (commands: string[][]): string[] => commands.map((args) => args[1] ?? '');
