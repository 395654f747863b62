import { type ChildProcess, fork } from 'node:child_process';
import { createSessions, type Session, type SessionStore, type Sessions } from '@coatcheck/core';
import { invalidOption } from '@coatcheck/core/store';

/** The secret both sides of a race sign with, so a cookie issued on one side opens on the other. */
export const RACE_SECRET = 'store-test-suite-race-secret-0123456789abcdef';

/**
 * How every race case builds its sessions: plain-http cookies, everything else Coatcheck's defaults, over
 * the store with a random delay of a few event-loop turns before each call, as a network would add. Without
 * it, an in-memory store answers within one turn and the two sides of a race in one process never meet.
 */
export function raceSessions(store: SessionStore): Sessions {
  return createSessions({ store: withLatency(store), secrets: [RACE_SECRET], cookie: { secure: false } });
}

function withLatency(store: SessionStore): SessionStore {
  return new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || property === 'close') return value;
      return async (...args: unknown[]) => {
        for (let turns = Math.floor(Math.random() * 3); turns > 0; turns--) {
          await new Promise((resolve) => setImmediate(resolve));
        }
        return value.apply(target, args);
      };
    },
  });
}

/**
 * Where the `peerProcess` option's child process gets its store: a module that exports
 * `createStore(args)` (and may export `dispose(store)`), loaded with `execArgv`.
 */
export interface PeerProcess {
  /** The module's file URL or absolute path, e.g. `new URL('./peer-store.ts', import.meta.url)`. */
  module: string | URL;
  /**
   * Passed to the module's `createStore(args)` (as JSON), so that its store reaches the same records as
   * the suite's: a key prefix, a database name.
   * @default undefined
   */
  args?: unknown;
  /**
   * Node options for the child, e.g. a loader for a TypeScript module: `['--import', 'tsx']`.
   * @default []
   */
  execArgv?: string[];
}

/** The other side of a race: a second Coatcheck instance, with a store of its own or the same one. */
export interface RacePeer {
  /** `sessions.revokeAll(userId)` over there. */
  revokeAll(userId: string): Promise<void>;
  /** Loads the session of `cookie` over there, and keeps it for {@link RacePeer.destroy}. */
  load(cookie: string): Promise<void>;
  /** Destroys (logs out) the session loaded from `cookie` earlier. */
  destroy(cookie: string): Promise<void>;
  /** `'process'` when the peer is a child process. */
  readonly where: 'process' | 'in-process';
  close(): Promise<void>;
}

/** The peer as a second manager over `store`, in this process. */
export function inProcessPeer(store: SessionStore): RacePeer {
  return { ...peerOperations(raceSessions(store)), where: 'in-process', close: async () => {} };
}

/** What a peer does, on whichever side it lives. */
export function peerOperations(sessions: Sessions) {
  const loaded = new Map<string, Session>();
  return {
    async revokeAll(userId: string): Promise<void> {
      await sessions.revokeAll(userId);
    },
    async load(cookie: string): Promise<void> {
      loaded.set(cookie, await sessions.load({ cookie }));
    },
    async destroy(cookie: string): Promise<void> {
      const session = loaded.get(cookie);
      loaded.delete(cookie);
      if (!session) throw new Error('destroy() of a cookie that was not loaded');
      await session.destroy();
      await sessions.commit(session);
    },
  };
}

/** Starts the child process `spec` describes and waits until its store is ready. */
export async function processPeer(spec: PeerProcess): Promise<RacePeer> {
  if (
    typeof spec !== 'object' ||
    spec === null ||
    !(typeof spec.module === 'string' || spec.module instanceof URL)
  ) {
    invalidOption('peerProcess', 'must return { module, args?, execArgv? }');
  }
  const moduleUrl = spec.module instanceof URL ? spec.module.href : new URL(spec.module, 'file:///').href;
  const child = fork(
    new URL('./peer-process.js', import.meta.url),
    [moduleUrl, JSON.stringify(spec.args ?? null)],
    {
      execArgv: spec.execArgv ?? [],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  const calls = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let nextId = 0;
  let exited: Error | undefined;
  const ready = new Promise<void>((resolve, reject) => {
    child.on('message', (message: PeerReply) => {
      if ('ready' in message) return resolve();
      const call = calls.get(message.id);
      calls.delete(message.id);
      if (message.error !== undefined) call?.reject(new Error(`peer process: ${message.error}`));
      else call?.resolve(undefined);
    });
    child.on('exit', (code, signal) => {
      exited = new Error(`peer process exited (${signal ?? code})`);
      reject(exited);
      for (const call of calls.values()) call.reject(exited);
      calls.clear();
    });
  });
  await ready;

  const call = (op: PeerRequest['op'], arg: string) =>
    new Promise<void>((resolve, reject) => {
      if (exited) return reject(exited);
      const id = nextId++;
      calls.set(id, { resolve: () => resolve(), reject });
      child.send({ id, op, arg } satisfies PeerRequest);
    });
  return {
    where: 'process',
    revokeAll: (userId) => call('revokeAll', userId),
    load: (cookie) => call('load', cookie),
    destroy: (cookie) => call('destroy', cookie),
    close: () => stop(child),
  };
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.send({ id: -1, op: 'close', arg: '' } satisfies PeerRequest);
  });
}

/** What the suite asks of the child process. */
export interface PeerRequest {
  id: number;
  op: 'revokeAll' | 'load' | 'destroy' | 'close';
  arg: string;
}

/** What the child process answers: once `ready`, then one reply per request. */
export type PeerReply = { ready: true } | { id: number; error?: string };
