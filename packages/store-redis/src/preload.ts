import type { LuaScript } from './scripts.js';

type Listener = (...args: never[]) => void;

/**
 * One ioredis connection: a standalone `Redis`, or one node of a `Cluster` (ioredis 5 and 6). Only what
 * preloading needs, checked at run time so that a client without it still works (without preloading).
 */
interface Connection {
  readonly status: string;
  readonly options?: { readonly readOnly?: boolean };
  script(subcommand: 'LOAD', source: string): Promise<unknown>;
  on(event: string, listener: Listener): unknown;
  once(event: string, listener: Listener): unknown;
  removeListener(event: string, listener: Listener): unknown;
}

/** An ioredis `Cluster`: its own events, and the node connections of its pool. */
interface ClusterClient {
  nodes(role: 'master'): unknown[];
  on(event: string, listener: Listener): unknown;
  removeListener(event: string, listener: Listener): unknown;
}

type Emitter = Pick<Connection, 'on' | 'once' | 'removeListener'>;

function isConnection(value: unknown): value is Connection {
  const candidate = value as Partial<Connection> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.status === 'string' &&
    typeof candidate.script === 'function' &&
    typeof candidate.on === 'function' &&
    typeof candidate.once === 'function' &&
    typeof candidate.removeListener === 'function'
  );
}

function isCluster(value: unknown): value is ClusterClient {
  const candidate = value as (Partial<ClusterClient> & { isCluster?: unknown }) | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    candidate.isCluster === true &&
    typeof candidate.nodes === 'function' &&
    typeof candidate.on === 'function' &&
    typeof candidate.removeListener === 'function'
  );
}

/** Statuses in which a command is written at once, or waits in ioredis' offline queue for the connection. */
const OPEN = new Set(['connecting', 'connect', 'ready']);

/**
 * Keeps `scripts` loaded (`SCRIPT LOAD`) on every connection the store sends them on, so that `EVALSHA`
 * finds them even on a server that has just restarted or taken over in a failover.
 *
 * It never opens a connection itself: that would change what ioredis does. (A `Cluster` with
 * `enableOfflineQueue: false` does not send a command to a node whose connection is still opening: it
 * retries it elsewhere. When the store opened the lazy node connections, the Cluster's own ready check
 * failed that way again and again at start-up, reconnecting each time.) So it loads:
 *
 * - on a connection open or opening when it is first seen (the loads wait in the offline queue, ahead of
 *   later commands);
 * - on a lazy one (a `lazyConnect` client, every `Cluster` node until its first command) as soon as it starts
 *   opening, right after the command that opened it;
 * - on every `ready` after the connection closed (a restart, a failover, a network cut);
 * - on a Cluster, on master nodes only (replicas never run the scripts), every node the pool adds (`+node`)
 *   included, and on a node that becomes master with its connection open (`refresh`, after a failover).
 *
 * A script call sent before the load on its connection (the one that opened a lazy connection, or one that
 * waited while ioredis reconnected) answers `NOSCRIPT` on an empty cache and falls back to `EVAL`, as does
 * every first call after the cache was emptied under a live connection. Failed loads are ignored: nothing
 * throws, nothing is logged, and the next call falls back. Returns a function that removes every listener
 * added to the client and its nodes.
 */
export function keepScriptsLoaded(client: unknown, scripts: readonly LuaScript[]): () => void {
  // The connections whose current connection has been sent the loads; forgotten on `close`, so that a
  // reconnection loads again. The token lets a failed load forget only its own round.
  const loadedOn = new WeakMap<Connection, object>();
  const loadIfOpen = (connection: Connection) => {
    if (loadedOn.has(connection) || !OPEN.has(connection.status)) return;
    const round = {};
    loadedOn.set(connection, round);
    for (const { source } of scripts) {
      connection.script('LOAD', source).catch(() => {
        if (loadedOn.get(connection) === round) loadedOn.delete(connection);
      });
    }
  };
  const listen = (emitter: Emitter | ClusterClient, event: string, listener: Listener, once = false) => {
    if (once && 'once' in emitter) emitter.once(event, listener);
    else emitter.on(event, listener);
    return () => {
      emitter.removeListener(event, listener);
    };
  };
  /** Loads on `connection` now and whenever it opens again, while `wanted()`; returns the listeners' removers. */
  const watch = (connection: Connection, wanted: () => boolean) => {
    const sync = () => {
      if (wanted()) loadIfOpen(connection);
    };
    const removers = [
      listen(connection, 'ready', sync),
      listen(connection, 'close', () => loadedOn.delete(connection)),
    ];
    // Only a connection's first opening: on a reconnection, loads queued at every failed attempt would pile up.
    if (connection.status === 'wait') removers.push(listen(connection, 'connecting', sync, true));
    sync();
    return removers;
  };

  const removers: Array<() => void> = [];
  if (isCluster(client)) {
    const watched = new Map<Connection, Array<() => void>>();
    const unwatch = (node: unknown) => {
      for (const remove of watched.get(node as Connection) ?? []) remove();
      watched.delete(node as Connection);
    };
    const sync = () => {
      for (const node of client.nodes('master')) {
        if (!isConnection(node)) continue;
        if (watched.has(node)) {
          if (node.options?.readOnly !== true) loadIfOpen(node);
          continue;
        }
        const isMaster = () => node.options?.readOnly !== true;
        watched.set(node, [...watch(node, isMaster), listen(node, 'end', () => unwatch(node))]);
      }
    };
    removers.push(
      listen(client, '+node', sync),
      listen(client, '-node', unwatch),
      listen(client, 'refresh', sync),
      listen(client, 'ready', sync),
      () => {
        for (const node of [...watched.keys()]) unwatch(node);
      },
    );
    sync();
  } else if (isConnection(client)) {
    removers.push(...watch(client, () => true));
  }

  return () => {
    for (const remove of removers.splice(0)) remove();
  };
}
